package org.cellspark.io.cells;

/**
 * Consecutive cells' stored counts in CSR form: cell {@code i} owns entries {@code [offsets[i],
 * offsets[i + 1])} of {@code genes} and {@code values}, genes ascending.
 */
public record CellEntries(int[] offsets, int[] genes, double[] values) {}
