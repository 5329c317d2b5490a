package org.cellspark.jobs.embed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.jobs.common.CellWindows;
import org.cellspark.model.Precision;
import scala.Tuple2;

/**
 * Per-gene mean contextual embeddings: every occurrence of a gene token in every cell contributes
 * its vector (of the chosen layer); each task sums per token, the sums are reduced by token.
 * Special tokens are left out. A second model pass over the cells (documented cost).
 */
final class GeneEmbeddings {
  private GeneEmbeddings() {}

  /**
   * A token's running sum: the vector sum (double, for exactness over millions of cells) and count.
   */
  record Sum(double[] vector, long cells) implements Serializable {
    Sum plus(Sum o) {
      double[] v = vector.clone();
      for (int i = 0; i < v.length; i++) {
        v[i] += o.vector[i];
      }
      return new Sum(v, cells + o.cells);
    }
  }

  static JavaPairRDD<Integer, Sum> sums(
      Dataset<Row> cells, String model, EmbeddingSettings settings, Precision precision) {
    int[] special = {settings.padId(), settings.clsId(), settings.eosId()};
    return cells
        .select("input_ids")
        .toJavaRDD()
        .mapPartitionsToPair(
            rows -> {
              Map<Integer, double[]> sum = new HashMap<>();
              Map<Integer, Long> count = new HashMap<>();
              CellWindows.forEach(
                  rows,
                  model,
                  settings,
                  precision,
                  (embedder, window) ->
                      accumulate(embedder, window, embedder.dimension(), special, sum, count));
              List<Tuple2<Integer, Sum>> out = new ArrayList<>(sum.size());
              sum.forEach((token, v) -> out.add(new Tuple2<>(token, new Sum(v, count.get(token)))));
              return out.iterator();
            })
        .reduceByKey(Sum::plus);
  }

  private static void accumulate(
      CellEmbedder embedder,
      List<int[]> window,
      int hidden,
      int[] special,
      Map<Integer, double[]> sum,
      Map<Integer, Long> count) {
    float[][] vectors = embedder.tokenVectors(window);
    for (int c = 0; c < window.size(); c++) {
      int[] cell = window.get(c);
      float[] v = vectors[c];
      for (int p = 0; p < cell.length; p++) {
        int token = cell[p];
        if (token == special[0] || token == special[1] || token == special[2]) {
          continue;
        }
        double[] s = sum.computeIfAbsent(token, k -> new double[hidden]);
        for (int j = 0; j < hidden; j++) {
          s[j] += v[p * hidden + j];
        }
        count.merge(token, 1L, Long::sum);
      }
    }
  }
}
