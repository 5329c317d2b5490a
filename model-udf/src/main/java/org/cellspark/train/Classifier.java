package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.cellspark.model.TrainableBert;

/**
 * Geneformer with a head, as {@link FineTuner} trains it on examples of type {@code E}: a label per
 * cell ({@link CellClassifier}) or per gene token ({@link GeneClassifier}).
 */
public interface Classifier<E extends Examples> {
  TrainableBert encoder();

  /** The manager the weights live in; a step's arrays go in a sub-manager of it. */
  default NDManager manager() {
    return encoder().manager();
  }

  /** Every trained weight: the encoder's, then the head's ({@code head.*}). */
  List<TrainableBert.NamedWeight> weights();

  /**
   * The loss of the cells at {@code positions} of {@code examples}, recording gradients inside a
   * collector.
   *
   * @param dropout the rates to train with
   * @param classWeights a weight per class (all 1: plain cross-entropy)
   */
  NDArray loss(
      NDManager m, E examples, int[] positions, DropoutRates dropout, float[] classWeights);

  /** The examples' loss and metric, without dropout or gradients. */
  Score score(E examples, long batchTokens, float[] classWeights);

  /** What {@link Score#metric()} is, for messages. */
  default String metric() {
    return "macro-F1";
  }
}
