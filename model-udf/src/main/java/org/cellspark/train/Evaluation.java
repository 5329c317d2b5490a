package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.cellspark.infer.LengthBatcher;

/**
 * A classifier's predictions for labelled cells, without recording gradients: the weighted loss,
 * each cell's predicted class and class probabilities (in the cells' order), accuracy and macro-F1
 * (the mean over classes of F1; a class never predicted nor present counts 0, as scikit-learn).
 */
public record Evaluation(
    double loss, int[] predicted, float[][] probabilities, double accuracy, double macroF1)
    implements java.io.Serializable {

  public static Evaluation of(
      CellClassifier model,
      LabelledCells cells,
      long batchTokens,
      float[] classWeights,
      int classes) {
    int n = cells.size();
    int[] predicted = new int[n];
    float[][] probabilities = new float[n][];
    double lossSum = 0;
    double weightSum = 0;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      List<LengthBatcher.Batch> batches = LengthBatcher.byLength(cells.lengths(), batchTokens);
      for (LengthBatcher.Batch b : batches) {
        TrainingBatch batch = model.batch(cells, b.cells());
        try (NDManager m = model.manager().newSubManager()) {
          NDArray logits = model.logits(m, batch, DropoutRates.NONE);
          float[] p = logits.softmax(1).toFloatArray();
          float[] logp = logits.logSoftmax(1).toFloatArray();
          for (int i = 0; i < b.cells().length; i++) {
            int cell = b.cells()[i];
            float[] row = new float[classes];
            System.arraycopy(p, i * classes, row, 0, classes);
            probabilities[cell] = row;
            int best = 0;
            for (int k = 1; k < classes; k++) {
              best = row[k] > row[best] ? k : best;
            }
            predicted[cell] = best;
            float w = classWeights[cells.labels()[cell]];
            lossSum -= w * logp[i * classes + cells.labels()[cell]];
            weightSum += w;
          }
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    return new Evaluation(
        weightSum > 0 ? lossSum / weightSum : Double.NaN,
        predicted,
        probabilities,
        accuracy(predicted, cells.labels()),
        macroF1(predicted, cells.labels(), classes));
  }

  static double accuracy(int[] predicted, int[] labels) {
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      right += predicted[i] == labels[i] ? 1 : 0;
    }
    return labels.length == 0 ? Double.NaN : (double) right / labels.length;
  }

  static double macroF1(int[] predicted, int[] labels, int classes) {
    double sum = 0;
    for (int k = 0; k < classes; k++) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int i = 0; i < labels.length; i++) {
        boolean p = predicted[i] == k;
        boolean t = labels[i] == k;
        tp += p && t ? 1 : 0;
        fp += p && !t ? 1 : 0;
        fn += !p && t ? 1 : 0;
      }
      sum += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    return classes == 0 ? Double.NaN : sum / classes;
  }
}
