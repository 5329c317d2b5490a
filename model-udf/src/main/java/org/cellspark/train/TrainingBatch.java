package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.cellspark.infer.Pooling;

/**
 * Cells for one training step, right-padded to the longest: token ids, the attention mask, which
 * positions are genes (mean pooling's weights: not padding, not a leading {@code <cls>}, not a
 * trailing {@code <eos>}, decided from each cell's own tokens as {@code embed} does), and labels.
 */
public record TrainingBatch(
    int cells, int length, long[] ids, long[] mask, float[] genes, int[] labels)
    implements PaddedBatch {

  /**
   * @param clsId the vocabulary's {@code <cls>}, or -1
   * @param eosId the vocabulary's {@code <eos>}, or -1
   */
  public static TrainingBatch of(List<int[]> tokens, int[] labels, int clsId, int eosId) {
    int length = 0;
    for (int[] cell : tokens) {
      length = Math.max(length, cell.length);
    }
    int n = tokens.size();
    long[] ids = new long[n * length];
    long[] mask = new long[n * length];
    float[] genes = new float[n * length];
    for (int c = 0; c < n; c++) {
      int[] cell = tokens.get(c);
      int first = Pooling.firstGene(cell, clsId);
      int end = Pooling.endOfGenes(cell, eosId);
      for (int i = 0; i < cell.length; i++) {
        ids[c * length + i] = cell[i];
        mask[c * length + i] = 1;
        genes[c * length + i] = i >= first && i < end ? 1 : 0;
      }
    }
    return new TrainingBatch(n, length, ids, mask, genes, labels.clone());
  }

  NDArray genes(NDManager m) {
    return m.create(genes, new Shape(cells, length));
  }
}
