package org.cellspark.train;

import java.util.Arrays;

/**
 * Cells for one step of a gene classifier, right-padded to the longest: token ids, the attention
 * mask, and the labelled positions in row-major order (cell by cell, left to right) with, for each,
 * its flat index in the (cells x length) batch, its class, its cell (by position in the batch) and
 * its token.
 */
record TokenBatch(
    int cells,
    int length,
    long[] ids,
    long[] mask,
    long[] positions,
    int[] labels,
    int[] cellOf,
    int[] tokenOf)
    implements PaddedBatch {

  static TokenBatch of(LabelledTokens examples, int[] chosen) {
    int length = examples.longest(chosen);
    int n = chosen.length;
    long[] ids = new long[n * length];
    long[] mask = new long[n * length];
    long[] positions = new long[n * length];
    int[] labels = new int[n * length];
    int[] cellOf = new int[n * length];
    int[] tokenOf = new int[n * length];
    int k = 0;
    for (int c = 0; c < n; c++) {
      int[] cell = examples.tokens().get(chosen[c]);
      for (int i = 0; i < cell.length; i++) {
        ids[c * length + i] = cell[i];
        mask[c * length + i] = 1;
        int label = examples.classOf(cell[i]);
        if (label >= 0) {
          positions[k] = (long) c * length + i;
          labels[k] = label;
          cellOf[k] = c;
          tokenOf[k] = cell[i];
          k++;
        }
      }
    }
    return new TokenBatch(
        n,
        length,
        ids,
        mask,
        Arrays.copyOf(positions, k),
        Arrays.copyOf(labels, k),
        Arrays.copyOf(cellOf, k),
        Arrays.copyOf(tokenOf, k));
  }

  int labelled() {
    return labels.length;
  }
}
