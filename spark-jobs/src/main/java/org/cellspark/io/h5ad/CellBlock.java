package org.cellspark.io.h5ad;

import org.cellspark.io.cells.CellEntries;

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
    new CellEntries(offsets, genes, values).sortedByGene(); // in place: the same arrays
    return this;
  }
}
