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

  public static TokenEvaluation of(
      GeneClassifier model, LabelledTokens examples, long batchTokens, float[] classWeights) {
    int classes = model.classes();
    List<int[]> found = new ArrayList<>(); // per batch: cell, token, label, predicted
    List<float[][]> probabilities = new ArrayList<>();
    double lossSum = 0;
    double weightSum = 0;
    int count = 0;
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
          int k = batch.labelled();
          float[][] rows = new float[k][];
          int[] predicted = new int[k];
          for (int i = 0; i < k; i++) {
            float[] row = new float[classes];
            System.arraycopy(p, i * classes, row, 0, classes);
            rows[i] = row;
            predicted[i] = argmax(row);
            float w = classWeights[batch.labels()[i]];
            lossSum -= w * logp[i * classes + batch.labels()[i]];
            weightSum += w;
          }
          for (int i = 0; i < k; i++) {
            found.add(
                new int[] {
                  b.cells()[batch.cellOf()[i]], batch.tokenOf()[i], batch.labels()[i], predicted[i]
                });
          }
          probabilities.add(rows);
          count += k;
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    float[][] p = new float[count][];
    int at = 0;
    for (float[][] rows : probabilities) {
      for (float[] row : rows) {
        p[at++] = row;
      }
    }
    // Back into the cells' order (batches come by length): stable by cell, so left to right.
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> found.get(i)[0]));
    int[] cell = new int[count];
    int[] token = new int[count];
    int[] labels = new int[count];
    int[] predicted = new int[count];
    float[][] probs = new float[count][];
    for (int i = 0; i < count; i++) {
      int[] f = found.get(order[i]);
      cell[i] = f[0];
      token[i] = f[1];
      labels[i] = f[2];
      predicted[i] = f[3];
      probs[i] = p[order[i]];
    }
    return new TokenEvaluation(
        weightSum > 0 ? lossSum / weightSum : Double.NaN,
        cell,
        token,
        labels,
        predicted,
        probs,
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
