package org.cellspark.engine;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * The engine as a GPU machine runs it, with neither Spark nor Hadoop on the class path: a
 * vocabulary loaded by path and by location, a model loaded, cells embedded. Run by
 * EngineWithoutSparkTest in a JVM of its own.
 */
public final class EngineOnlyMain {
  private EngineOnlyMain() {}

  public static void main(String[] args) {
    for (String absent : List.of("org.apache.spark.SparkContext", "org.apache.hadoop.fs.Path")) {
      try {
        Class.forName(absent);
        throw new IllegalStateException(absent + " is on the class path; the check means nothing");
      } catch (ClassNotFoundException expected) {
        // as on the GPU machine
      }
    }
    Vocabulary byPath = VocabularyLoader.load(Path.of(args[0]));
    Vocabulary byLocation = VocabularyLoader.load(args[0]);
    try (Encoder encoder = ModelLoader.load(Path.of(args[1]), Device.cpu());
        CellEmbedder embedder =
            new CellEmbedder(
                encoder, Device.cpu(), EmbeddingSettings.of(-1, Pooling.MEAN, 1_000, byLocation))) {
      int cls = byLocation.clsId().orElseThrow();
      int eos = byLocation.eosId().orElseThrow();
      float[][] out =
          embedder.embed(List.of(new int[] {cls, 5, 6, 7, eos}, new int[] {cls, 8, eos}));
      System.out.println(
          "embedded "
              + out.length
              + " cells of "
              + out[0].length
              + " with "
              + byPath.size()
              + " tokens");
    }
  }
}
