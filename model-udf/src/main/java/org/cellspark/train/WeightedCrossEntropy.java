package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Cross-entropy over a batch with a weight per class (for imbalanced labels), averaged as PyTorch's
 * {@code cross_entropy(weight=...)} does: the sum of each cell's weighted loss over the sum of its
 * class weights.
 */
public final class WeightedCrossEntropy {
  private WeightedCrossEntropy() {}

  public static NDArray loss(NDArray logits, int[] labels, float[] classWeights) {
    float[] w = new float[labels.length];
    for (int i = 0; i < labels.length; i++) {
      w[i] = classWeights[labels[i]];
    }
    NDArray weights = logits.getManager().create(w);
    return picked(logits, labels).mul(weights).sum().neg().div(weights.sum());
  }

  /** Plain cross-entropy, the mean over the rows (every class weighing 1). */
  public static NDArray mean(NDArray logits, int[] labels) {
    return picked(logits, labels).mean().neg();
  }

  /** Each row's log-probability of its label. */
  private static NDArray picked(NDArray logits, int[] labels) {
    NDManager m = logits.getManager();
    long[] target = new long[labels.length];
    for (int i = 0; i < labels.length; i++) {
      target[i] = labels[i];
    }
    return logits
        .logSoftmax(1)
        .get(new NDIndex("{}, {}", m.arange(labels.length), m.create(target)));
  }
}
