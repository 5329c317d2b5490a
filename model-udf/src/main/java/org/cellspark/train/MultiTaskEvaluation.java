package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.infer.LengthBatcher;

/**
 * A multi-task classifier's predictions for cells, without recording gradients: for each task,
 * every cell's predicted class and class probabilities (cells without a class for the task too: a
 * prediction is what such a cell is for), and accuracy and macro-F1 over the cells that have one;
 * the loss as training defines it (each task's weighted cross-entropy over its labelled cells,
 * times the task's weight, summed).
 */
public record MultiTaskEvaluation(double loss, List<Task> tasks) implements Serializable {

  /** One task's predictions, in the cells' order, and its scores over its labelled cells. */
  public record Task(
      int[] predicted, float[][] probabilities, int labelled, double accuracy, double macroF1)
      implements Serializable {}

  /** The mean over tasks of macro-F1: what the best epoch is chosen by. */
  public double meanMacroF1() {
    return tasks.stream().mapToDouble(Task::macroF1).average().orElse(Double.NaN);
  }

  /**
   * @param classWeights every task's class weights, one task after the other
   */
  public static MultiTaskEvaluation of(
      MultiTaskClassifier model, MultiLabelledCells cells, long batchTokens, float[] classWeights) {
    int n = cells.size();
    int tasks = model.tasks();
    int[][] predicted = new int[tasks][n];
    float[][][] probabilities = new float[tasks][n][];
    double[] lossSum = new double[tasks];
    double[] weightSum = new double[tasks];
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (LengthBatcher.Batch b : LengthBatcher.byLength(cells.lengths(), batchTokens)) {
        TrainingBatch batch = model.batch(cells, b.cells());
        try (NDManager m = model.manager().newSubManager()) {
          List<NDArray> logits = model.logits(m, batch, DropoutRates.NONE);
          int offset = 0;
          for (int t = 0; t < tasks; t++) {
            int classes = model.classes(t);
            float[] p = logits.get(t).softmax(1).toFloatArray();
            float[] logp = logits.get(t).logSoftmax(1).toFloatArray();
            for (int i = 0; i < b.cells().length; i++) {
              int cell = b.cells()[i];
              float[] row = new float[classes];
              System.arraycopy(p, i * classes, row, 0, classes);
              probabilities[t][cell] = row;
              int best = 0;
              for (int k = 1; k < classes; k++) {
                best = row[k] > row[best] ? k : best;
              }
              predicted[t][cell] = best;
              int label = cells.label(t, cell);
              if (label != MultiLabelledCells.UNLABELLED) {
                float w = classWeights[offset + label];
                lossSum[t] -= w * logp[i * classes + label];
                weightSum[t] += w;
              }
            }
            offset += classes;
          }
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    float[] taskWeights = model.taskWeights();
    double loss = 0;
    List<Task> out = new ArrayList<>(tasks);
    for (int t = 0; t < tasks; t++) {
      if (weightSum[t] > 0) {
        loss += taskWeights[t] * lossSum[t] / weightSum[t];
      }
      out.add(scores(predicted[t], probabilities[t], cells.labels(t), model.classes(t)));
    }
    return new MultiTaskEvaluation(n == 0 ? Double.NaN : loss, List.copyOf(out));
  }

  /** Accuracy and macro-F1 over the cells with a class for the task. */
  private static Task scores(int[] predicted, float[][] probabilities, int[] labels, int classes) {
    int labelled = 0;
    for (int l : labels) {
      labelled += l == MultiLabelledCells.UNLABELLED ? 0 : 1;
    }
    int[] p = new int[labelled];
    int[] y = new int[labelled];
    int k = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] != MultiLabelledCells.UNLABELLED) {
        p[k] = predicted[i];
        y[k++] = labels[i];
      }
    }
    return new Task(
        predicted,
        probabilities,
        labelled,
        Evaluation.accuracy(p, y),
        labelled == 0 ? Double.NaN : Evaluation.macroF1(p, y, classes));
  }
}
