package org.cellspark.statistics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Benjamini-Hochberg false discovery rates, as statsmodels' {@code multipletests(method="fdr_bh")}
 * computes them: p-values sorted ascending, each divided by its rank over the count, a running
 * minimum from the largest down, capped at 1, returned in the input's order.
 */
public final class BenjaminiHochberg {
  private BenjaminiHochberg() {}

  /**
   * Adjusted p-values; a NaN p-value counts as 1 (a test that could not be made rejects nothing).
   */
  public static double[] adjust(double[] pValues) {
    int n = pValues.length;
    double[] p = Arrays.stream(pValues).map(x -> Double.isNaN(x) ? 1.0 : x).toArray();
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> p[i])); // stable: ties keep input order
    double[] adjusted = new double[n];
    double running = Double.POSITIVE_INFINITY;
    for (int k = n - 1; k >= 0; k--) {
      // p / (rank / n), the way statsmodels divides by its empirical CDF factor.
      double q = p[order[k]] / ((k + 1) / (double) n);
      running = Math.min(running, q);
      adjusted[order[k]] = Math.min(running, 1.0);
    }
    return adjusted;
  }
}
