package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.cellspark.infer.LengthBatcher;

/**
 * A gene classifier's predictions for every labelled gene occurrence of some cells, without
 * recording gradients, in the cells' order and left to right within a cell: the cell (its position
 * in the examples), the gene's token, its class, the predicted class and the class probabilities;
 * the weighted loss, accuracy and macro-F1 over the occurrences (as upstream scores a gene
 * classifier: every labelled token of every cell is one sample).
 */
public record TokenEvaluation(
    double loss,
    int[] cell,
    int[] token,
    int[] labels,
    int[] predicted,
    float[][] probabilities,
    double accuracy,
    double macroF1)
    implements Serializable {

  /** One scored occurrence, until the arrays are made. */
  private record Occurrence(int cell, int token, int label, int predicted, float[] p) {}

  public static TokenEvaluation of(
      GeneClassifier model, LabelledTokens examples, long batchTokens, float[] classWeights) {
    int classes = model.classes();
    List<Occurrence> found = new ArrayList<>();
    double lossSum = 0;
    double weightSum = 0;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (LengthBatcher.Batch b : LengthBatcher.byLength(examples.lengths(), batchTokens)) {
        TokenBatch batch = TokenBatch.of(examples, b.cells());
        if (batch.labelled() == 0) {
          continue;
        }
        try (NDManager m = model.manager().newSubManager()) {
          NDArray logits = model.logits(m, batch, DropoutRates.NONE);
          float[] p = logits.softmax(1).toFloatArray();
          float[] logp = logits.logSoftmax(1).toFloatArray();
          for (int i = 0; i < batch.labelled(); i++) {
            float[] row = Arrays.copyOfRange(p, i * classes, (i + 1) * classes);
            int label = batch.labels()[i];
            found.add(
                new Occurrence(
                    b.cells()[batch.cellOf()[i]], batch.tokenOf()[i], label, argmax(row), row));
            lossSum -= classWeights[label] * logp[i * classes + label];
            weightSum += classWeights[label];
          }
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    // Back into the cells' order (batches come by length): stable by cell, so left to right.
    found.sort(Comparator.comparingInt(Occurrence::cell));
    int n = found.size();
    int[] cell = new int[n];
    int[] token = new int[n];
    int[] labels = new int[n];
    int[] predicted = new int[n];
    float[][] probabilities = new float[n][];
    for (int i = 0; i < n; i++) {
      Occurrence o = found.get(i);
      cell[i] = o.cell();
      token[i] = o.token();
      labels[i] = o.label();
      predicted[i] = o.predicted();
      probabilities[i] = o.p();
    }
    return new TokenEvaluation(
        weightSum > 0 ? lossSum / weightSum : Double.NaN,
        cell,
        token,
        labels,
        predicted,
        probabilities,
        Evaluation.accuracy(predicted, labels),
        Evaluation.macroF1(predicted, labels, classes));
  }

  /** How many labelled gene occurrences were scored. */
  public int size() {
    return labels.length;
  }

  private static int argmax(float[] row) {
    int best = 0;
    for (int k = 1; k < row.length; k++) {
      best = row[k] > row[best] ? k : best;
    }
    return best;
  }
}
