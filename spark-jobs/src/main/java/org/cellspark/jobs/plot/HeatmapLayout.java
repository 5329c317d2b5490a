package org.cellspark.jobs.plot;

import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Where a heatmap puts its cells and dimensions. Upstream draws seaborn's clustermap (rows and
 * columns reordered by hierarchical clustering, a colour bar for the label); here rows are grouped
 * by the label, so that its colour bar reads as one block per value, and within a value (and the
 * columns across) ordered along the cells' first principal component, which puts like cells and
 * like dimensions side by side without dendrograms. Each dimension is scaled to [0, 1] over the
 * drawn cells, as clustermap's {@code standard_scale=1}.
 */
final class HeatmapLayout {
  private HeatmapLayout() {}

  /**
   * Each column mapped linearly from its minimum and maximum over the rows onto 0 and 1; a column
   * with one value throughout becomes 0.
   */
  static double[][] scaleColumns(double[][] rows) {
    int n = rows.length;
    int d = n == 0 ? 0 : rows[0].length;
    double[][] out = new double[n][d];
    for (int j = 0; j < d; j++) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (double[] r : rows) {
        lo = Math.min(lo, r[j]);
        hi = Math.max(hi, r[j]);
      }
      for (int i = 0; i < n; i++) {
        out[i][j] = hi > lo ? (rows[i][j] - lo) / (hi - lo) : 0;
      }
    }
    return out;
  }

  /**
   * Rows by label (categories in their sorted order, missing last; numbers rising, missing last),
   * ties by {@code score} (each cell's first principal component), then by position.
   */
  static int[] rowOrder(CellLabel label, double[] score) {
    Comparator<Integer> byLabel =
        label.numeric()
            ? Comparator.comparingDouble(
                i -> Double.isNaN(label.number()[i]) ? Double.POSITIVE_INFINITY : label.number()[i])
            : Comparator.comparingInt(i -> label.category()[i]);
    return IntStream.range(0, score.length)
        .boxed()
        .sorted(
            byLabel.thenComparingDouble((Integer i) -> score[i]).thenComparingInt((Integer i) -> i))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /** Dimensions by their loading on the first principal component, then by position. */
  static int[] columnOrder(double[] loading) {
    return IntStream.range(0, loading.length)
        .boxed()
        .sorted(
            Comparator.comparingDouble((Integer j) -> loading[j])
                .thenComparingInt((Integer j) -> j))
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
