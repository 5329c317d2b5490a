package org.cellspark.jobs.genes;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.jobs.common.CellWindows;
import org.cellspark.jobs.finetune.ClassifierHead;
import org.cellspark.model.Precision;

/**
 * A gene classifier run over cells where they are: every occurrence of a gene asked for is
 * classified from its own last hidden state (the head's softmax), as Hugging Face's {@code
 * BertForTokenClassification} does. Each task sums the probabilities per gene ({@link Part} sums);
 * occurrences of genes whose class is known are also kept one by one ({@link Part} occurrences),
 * for the scores, which are upstream's: every labelled occurrence one sample.
 */
final class GeneProbabilities {
  private GeneProbabilities() {}

  /**
   * A task's sum for one gene ({@code occurrence} false: {@code values} the probability sums, then
   * the count), or one occurrence of a gene of known class ({@code occurrence} true: {@code values}
   * its probabilities).
   */
  record Part(int token, double[] values, boolean occurrence) implements Serializable {}

  /**
   * @param wanted per token: whether its occurrences are classified
   * @param known per token: its class's index in the head's classes, or -1
   */
  static JavaRDD<Part> parts(
      Dataset<Row> cells,
      String model,
      EmbeddingSettings settings,
      Precision precision,
      ClassifierHead head,
      boolean[] wanted,
      int[] known) {
    return cells
        .select("input_ids")
        .toJavaRDD()
        .mapPartitions(
            rows -> {
              Map<Integer, double[]> sums = new HashMap<>();
              List<Part> out = new ArrayList<>();
              CellWindows.forEach(
                  rows,
                  model,
                  settings,
                  precision,
                  (embedder, window) -> classify(embedder, window, head, wanted, known, sums, out));
              sums.forEach((token, s) -> out.add(new Part(token, s, false)));
              return out.iterator();
            });
  }

  private static void classify(
      CellEmbedder embedder,
      List<int[]> window,
      ClassifierHead head,
      boolean[] wanted,
      int[] known,
      Map<Integer, double[]> sums,
      List<Part> out) {
    int classes = head.classes().length;
    int hidden = embedder.dimension();
    float[] vector = new float[hidden];
    embedder.forEachTokenVectors(
        window,
        (vectors, c) -> {
          int[] cell = window.get(c);
          for (int p = 0; p < cell.length; p++) {
            int token = cell[p];
            if (token < 0 || token >= wanted.length || !wanted[token]) {
              continue;
            }
            System.arraycopy(vectors, p * hidden, vector, 0, hidden);
            double[] probability = head.probabilities(vector);
            double[] s = sums.computeIfAbsent(token, t -> new double[classes + 1]);
            for (int k = 0; k < classes; k++) {
              s[k] += probability[k];
            }
            s[classes]++;
            if (known[token] >= 0) {
              out.add(new Part(token, probability, true));
            }
          }
        });
  }
}
