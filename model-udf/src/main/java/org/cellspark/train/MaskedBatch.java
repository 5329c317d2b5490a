package org.cellspark.train;

import java.util.Arrays;

/**
 * Cells for one step of pretraining, right-padded to the longest, with their genes masked: the
 * token IDs the model sees, the attention mask, and the chosen positions in row-major order (cell
 * by cell, left to right), each with its flat index in the (cells x length) batch and the gene it
 * held (what the model must name).
 */
record MaskedBatch(int cells, int length, long[] ids, long[] mask, long[] positions, int[] labels)
    implements PaddedBatch {

  /**
   * The chosen cells masked by {@code draws}: three uniform numbers per padded position, laid out
   * as (3, cells, length): whether the token is chosen (below the fraction), then what replaces it
   * and which gene ({@link Masking#replacement}).
   */
  static MaskedBatch of(MaskedCells examples, int[] chosen, float[] draws) {
    Masking masking = examples.masking();
    int n = chosen.length;
    int length = examples.longest(chosen);
    int plane = n * length;
    if (draws.length != 3 * plane) {
      throw new IllegalArgumentException(
          "3 x " + n + " x " + length + " draws needed, not " + draws.length);
    }
    long[] ids = new long[plane];
    long[] mask = new long[plane];
    long[] positions = new long[plane];
    int[] labels = new int[plane];
    int k = 0;
    for (int c = 0; c < n; c++) {
      int[] cell = examples.tokens().get(chosen[c]);
      int row = c * length;
      int fallback = -1; // the gene with the smallest draw, chosen when no other is
      boolean any = false;
      for (int i = 0; i < cell.length; i++) {
        mask[row + i] = 1;
        ids[row + i] = cell[i];
        if (masking.gene(cell[i])) {
          float a = draws[row + i];
          any |= a < masking.fraction();
          if (fallback < 0 || a < draws[row + fallback]) {
            fallback = i;
          }
        }
      }
      for (int i = 0; i < cell.length; i++) {
        boolean picked =
            masking.gene(cell[i]) && (any ? draws[row + i] < masking.fraction() : i == fallback);
        if (picked) {
          ids[row + i] =
              masking.replacement(cell[i], draws[plane + row + i], draws[2 * plane + row + i]);
          positions[k] = row + i;
          labels[k] = cell[i];
          k++;
        }
      }
    }
    return new MaskedBatch(
        n, length, ids, mask, Arrays.copyOf(positions, k), Arrays.copyOf(labels, k));
  }

  int masked() {
    return labels.length;
  }
}
