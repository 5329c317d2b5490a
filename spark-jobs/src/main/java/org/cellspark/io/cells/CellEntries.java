package org.cellspark.io.cells;

import java.util.Arrays;

/**
 * Consecutive cells' stored counts in CSR form: cell {@code i} owns entries {@code [offsets[i],
 * offsets[i + 1])} of {@code genes} and {@code values}, genes ascending.
 */
public record CellEntries(int[] offsets, int[] genes, double[] values) {
  /** These, each cell's entries put in ascending gene order (in place). */
  public CellEntries sortedByGene() {
    for (int i = 0; i + 1 < offsets.length; i++) {
      GeneOrder.sort(genes, values, offsets[i], offsets[i + 1]);
    }
    return this;
  }

  /** Cells {@code [from, from + n)} of these, on their own. */
  public CellEntries slice(int from, int n) {
    int[] o = new int[n + 1];
    for (int i = 0; i <= n; i++) {
      o[i] = offsets[from + i] - offsets[from];
    }
    return new CellEntries(
        o,
        Arrays.copyOfRange(genes, offsets[from], offsets[from + n]),
        Arrays.copyOfRange(values, offsets[from], offsets[from + n]));
  }
}
