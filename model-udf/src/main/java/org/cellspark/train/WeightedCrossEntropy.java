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
    NDManager m = logits.getManager();
    NDArray logProbs = logits.logSoftmax(1);
    long[] target = new long[labels.length];
    float[] w = new float[labels.length];
    for (int i = 0; i < labels.length; i++) {
      target[i] = labels[i];
      w[i] = classWeights[labels[i]];
    }
    NDArray picked = logProbs.get(new NDIndex("{}, {}", m.arange(labels.length), m.create(target)));
    NDArray weights = m.create(w);
    return picked.mul(weights).sum().neg().div(weights.sum());
  }
}
