package org.cellspark.io.cells;

import java.util.Arrays;

/**
 * Puts a cell's entries (gene index, value) in ascending gene order, the order every reader emits
 * and the tokenizer's tie-breaking relies on. Writers usually store them sorted (canonical CSR,
 * Cell Ranger, Matrix Market sorted by cell); this is for those that do not.
 */
public final class GeneOrder {
  private GeneOrder() {}

  /**
   * Sorts entries {@code [from, to)} of {@code genes} and {@code values} by gene, in place and
   * stably (equal genes keep their order, so a repeated gene is found next to itself); returns at
   * once when they are sorted already. One primitive sort of gene and position packed in a long
   * (gene indexes are non-negative ints), not a sort of boxed indexes.
   */
  public static void sort(int[] genes, double[] values, int from, int to) {
    boolean sorted = true;
    for (int k = from + 1; k < to && sorted; k++) {
      sorted = genes[k - 1] <= genes[k];
    }
    if (sorted) {
      return;
    }
    int n = to - from;
    long[] packed = new long[n];
    for (int k = 0; k < n; k++) {
      packed[k] = ((long) genes[from + k] << 32) | k;
    }
    Arrays.sort(packed);
    double[] old = Arrays.copyOfRange(values, from, to);
    for (int k = 0; k < n; k++) {
      genes[from + k] = (int) (packed[k] >>> 32);
      values[from + k] = old[(int) packed[k]];
    }
  }
}
