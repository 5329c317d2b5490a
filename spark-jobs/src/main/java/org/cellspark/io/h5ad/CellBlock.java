package org.cellspark.io.h5ad;

import it.unimi.dsi.fastutil.Arrays;

/**
 * Consecutive cells' stored counts in CSR form: cell {@code i} (row {@code firstRow + i}) owns
 * entries {@code [offsets[i], offsets[i + 1])} of {@code genes}/{@code values}, genes ascending.
 */
record CellBlock(long firstRow, int cells, int[] offsets, int[] genes, double[] values) {

  static CellBlock empty(long firstRow, int cells) {
    return new CellBlock(firstRow, cells, new int[cells + 1], new int[0], new double[0]);
  }

  /** Puts each cell's entries in ascending gene order (non-canonical CSR rows are allowed). */
  CellBlock sortedByGene() {
    for (int i = 0; i < cells; i++) {
      int from = offsets[i];
      int to = offsets[i + 1];
      boolean sorted = true;
      for (int k = from + 1; k < to && sorted; k++) {
        sorted = genes[k - 1] <= genes[k];
      }
      if (!sorted) {
        Arrays.quickSort(
            from,
            to,
            (a, b) -> Integer.compare(genes[a], genes[b]),
            (a, b) -> {
              int g = genes[a];
              genes[a] = genes[b];
              genes[b] = g;
              double v = values[a];
              values[a] = values[b];
              values[b] = v;
            });
      }
    }
    return this;
  }
}
