package org.cellspark.statistics;

import java.util.Arrays;
import org.apache.commons.math3.special.Erf;

/**
 * The two-sided Wilcoxon rank-sum test as SciPy's {@code scipy.stats.ranksums} computes it, which
 * is what Geneformer's statistics use: ranks over both samples together (ties get their average
 * rank), the normal approximation {@code z = (R - n2(N+1)/2) / sqrt(n1 n2 (N+1) / 12)} with neither
 * a continuity nor a tie correction, and {@code p = 2 P(Z > |z|) = erfc(|z| / sqrt 2)}.
 *
 * <p>The reference sample comes sorted, so one (large) null pool serves every gene: a gene's rank
 * sum needs only binary searches into the pool plus a sort of its own values, never the pool
 * re-sorted with them.
 */
public final class RankSumTest {
  private RankSumTest() {}

  /**
   * The p-value of {@code values} against {@code sortedReference} (ascending, no NaN). NaN when a
   * sample is empty. The test is symmetric: swapping the samples gives the same p-value.
   */
  public static double pValue(double[] sortedReference, double[] values) {
    return pValue(zScore(sortedReference, values));
  }

  /** Two-sided p of a standard normal statistic. */
  public static double pValue(double z) {
    return Double.isNaN(z) ? Double.NaN : Erf.erfc(Math.abs(z) / Math.sqrt(2.0));
  }

  /** The statistic for {@code values} (positive when they rank above the reference). */
  public static double zScore(double[] sortedReference, double[] values) {
    int n1 = sortedReference.length;
    int n2 = values.length;
    if (n1 == 0 || n2 == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    double rankSum = 0;
    int i = 0;
    while (i < n2) {
      int j = i;
      while (j < n2 && v[j] == v[i]) {
        j++;
      }
      int lessInReference = lowerBound(sortedReference, v[i]);
      int equalInReference = lowerBound(sortedReference, Math.nextUp(v[i])) - lessInReference;
      long less = (long) lessInReference + i;
      long ties = (long) equalInReference + (j - i);
      // Ranks less+1 .. less+ties share their average.
      rankSum += (j - i) * (less + (ties + 1) / 2.0);
      i = j;
    }
    double n = (double) n1 + n2;
    double expected = n2 * (n + 1) / 2.0;
    return (rankSum - expected) / Math.sqrt(n1 * (double) n2 * (n + 1) / 12.0);
  }

  /** First index whose value is >= x. */
  private static int lowerBound(double[] a, double x) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
