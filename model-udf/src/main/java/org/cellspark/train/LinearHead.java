package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.cellspark.model.TrainableBert;

/**
 * A classification head's one linear layer, as the classifiers train it: a weight (classes x
 * hidden) and a bias, recording gradients, named {@code head.weight} and {@code head.bias} (a
 * multi-task model's {@code classification_heads.N.*}).
 */
final class LinearHead {
  private final NDArray weight;
  private final NDArray bias;

  /**
   * @param weight (classes, hidden), the starting weights
   * @param bias (classes)
   */
  LinearHead(NDManager m, float[] weight, float[] bias, int hidden) {
    if (weight.length != bias.length * hidden) {
      throw new IllegalArgumentException(
          "head weights for " + bias.length + " classes of " + hidden + " units");
    }
    this.weight = m.create(weight, new Shape(bias.length, hidden));
    this.bias = m.create(bias);
    this.weight.setRequiresGradient(true);
    this.bias.setRequiresGradient(true);
  }

  int classes() {
    return (int) bias.size();
  }

  /** Scores (rows, classes) for inputs (rows, hidden). */
  NDArray apply(NDArray x) {
    return x.matMul(weight.transpose()).add(bias);
  }

  /** The weight and the bias under the given names ({@code PREFIX.weight}, {@code PREFIX.bias}). */
  List<TrainableBert.NamedWeight> named(String prefix) {
    return List.of(
        new TrainableBert.NamedWeight(prefix + ".weight", weight),
        new TrainableBert.NamedWeight(prefix + ".bias", bias));
  }

  /** The encoder's weights, then the head's. */
  List<TrainableBert.NamedWeight> after(List<TrainableBert.NamedWeight> encoder) {
    List<TrainableBert.NamedWeight> out = new java.util.ArrayList<>(encoder);
    out.addAll(named("head"));
    return out;
  }
}
