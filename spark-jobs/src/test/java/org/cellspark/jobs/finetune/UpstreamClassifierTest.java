package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.classify.Applied;
import org.cellspark.model.Precision;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `classify apply --tokens` with a cell classifier as upstream's Classifier saves one
 * (fixtures/models/upstream-cell-classifier, made by src/test/python/make_upstream_classifier.py:
 * Hugging Face's BertForSequenceClassification over a small V1 vocabulary, and upstream's
 * id_class_dict pickle). Each cell's class probabilities must be what PyTorch computes for it,
 * Hugging Face's forward: the pooler's tanh on the last layer's first position, then the
 * classifier, softmax; the same for the model as transformers saved it before safetensors
 * (upstream-cell-classifier-bin: pytorch_model.bin, as upstream's fine-tuned models of 2023 are).
 */
@ExtendWith(SharedSpark.class)
class UpstreamClassifierTest {
  private static final Path MODEL =
      Fixtures.repositoryRoot()
          .resolve("spark-jobs/src/test/resources/fixtures/models/upstream-cell-classifier");
  private static final String VOCABULARY = Fixtures.vocab("vocab-v1-small").toString();

  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String tokens;
  private static JsonNode reference;
  private static final Map<String, String> KNOWN = new HashMap<>();

  /**
   * The reference cells as a token table, each with a known label: its most probable class for even
   * cells, another class for odd ones, and the last a cell type the model lacks.
   */
  @BeforeAll
  static void cells(SparkSession spark) throws IOException {
    reference = new ObjectMapper().readTree(MODEL.resolve("reference.json").toFile());
    JsonNode cells = reference.get("cells");
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < cells.size(); c++) {
      List<Integer> ids = new ArrayList<>();
      cells.get(c).get("input_ids").forEach(t -> ids.add(t.asInt()));
      int best = argmax(cells.get(c).get("probability"));
      String known =
          c == cells.size() - 1
              ? "pericyte"
              : reference.get("classes").get(c % 2 == 0 ? best : (best + 1) % 3).asText();
      KNOWN.put("u" + c, known);
      rows.add(RowFactory.create("u" + c, ids.toArray(new Integer[0]), ids.size(), known));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("length", DataTypes.IntegerType)
            .add("cell_type", DataTypes.StringType);
    tokens = shared.resolve("tokens").toString();
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(tokens);
  }

  @ParameterizedTest
  @ValueSource(strings = {"upstream-cell-classifier", "upstream-cell-classifier-bin"})
  void probabilitiesAreHuggingFacesAndTheClassesUpstreamsNames(String folder, SparkSession spark)
      throws IOException {
    Path model = MODEL.resolveSibling(folder);
    String out = tmp.resolve("applied").toString();
    Applied applied =
        FineTunedApply.run(
            spark,
            new FineTunedApply.Options(
                model.toString(),
                tokens,
                VOCABULARY,
                out,
                false,
                List.of("cell_type"),
                model.resolve("id_class_dict.pkl").toString(),
                Precision.FP32));
    JsonNode cells = reference.get("cells");
    assertThat(applied.cells()).isEqualTo(cells.size());
    Map<String, Row> byCell = new HashMap<>();
    spark
        .read()
        .parquet(out + "/predictions")
        .collectAsList()
        .forEach(r -> byCell.put(r.getAs("cell_id"), r));
    int right = 0;
    for (int c = 0; c < cells.size(); c++) {
      Row r = byCell.get("u" + c);
      JsonNode expected = cells.get(c).get("probability");
      scala.collection.Seq<Double> p = r.getAs("probability");
      for (int k = 0; k < 3; k++) {
        assertThat(p.apply(k))
            .as("cell %d class %d", c, k)
            .isCloseTo(expected.get(k).asDouble(), within(1e-5));
      }
      String predicted = reference.get("classes").get(argmax(expected)).asText();
      assertThat(r.<String>getAs("predicted")).isEqualTo(predicted);
      right += c < cells.size() - 1 && predicted.equals(KNOWN.get("u" + c)) ? 1 : 0;
    }
    JsonNode metrics = new ObjectMapper().readTree(Path.of(out, "metrics.json").toFile());
    assertThat(metrics.get("cells_scored").asInt()).isEqualTo(cells.size() - 1);
    assertThat(metrics.get("not_scored").get("pericyte").asInt()).isEqualTo(1);
    assertThat(metrics.get("accuracy").asDouble())
        .isCloseTo(right / (double) (cells.size() - 1), within(1e-9));
    assertThat(metrics.get("classes").toString())
        .isEqualTo("[\"cardiomyocyte\",\"fibroblast\",\"endothelial cell\"]");
    JsonNode summary = new ObjectMapper().readTree(Path.of(out, "_cellspark.json").toFile());
    assertThat(summary.get("head").asText()).startsWith("upstream's");
  }

  /**
   * --precision bf16 (here on the CPU; on GPU executors the same program): the encoder computes in
   * bfloat16, so each probability is PyTorch's fp32 one to bf16's precision, not to 1e-5.
   */
  @Test
  void bf16ProbabilitiesAreFp32sToBf16sPrecision(SparkSession spark) {
    String out = tmp.resolve("bf16").toString();
    FineTunedApply.run(
        spark,
        new FineTunedApply.Options(
            MODEL.toString(),
            tokens,
            VOCABULARY,
            out,
            false,
            List.of(),
            MODEL.resolve("id_class_dict.pkl").toString(),
            org.cellspark.model.Precision.BF16));
    JsonNode cells = reference.get("cells");
    double worst = 0;
    for (Row r : spark.read().parquet(out + "/predictions").collectAsList()) {
      int c = Integer.parseInt(r.<String>getAs("cell_id").substring(1));
      scala.collection.Seq<Double> p = r.getAs("probability");
      for (int k = 0; k < 3; k++) {
        worst =
            Math.max(
                worst, Math.abs(p.apply(k) - cells.get(c).get("probability").get(k).asDouble()));
      }
    }
    // 0.027 on this machine's bf16 instructions; fp32 would be within 1e-5.
    assertThat(worst).isGreaterThan(1e-5).isLessThan(0.1);
  }

  /** The head's reading, without Spark: the config's names without the dict, and refusals. */
  @Test
  void withoutTheClassDictTheClassesAreTheConfigsAndBadRequestsAreRefused() throws IOException {
    assertThat(ClassifierHead.read(MODEL, "m", null).classes())
        .containsExactly("LABEL_0", "LABEL_1", "LABEL_2");
    Path twoClasses = tmp.resolve("two.json");
    Files.writeString(twoClasses, "{\"0\": \"a\", \"1\": \"b\"}");
    assertThatThrownBy(() -> ClassifierHead.read(MODEL, "m", twoClasses.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("names the classes [0, 1]; the model has 3");
    // A model named by a file: location whose folder has a space (a Hadoop path string, as the
    // other commands take it; it was read as a URI and refused as one).
    Path spaced = Files.createDirectories(tmp.resolve("my models/classifier"));
    assertThat(FineTunedApply.modelFolder("file://" + spaced)).isEqualTo(spaced);
    // Read through Hadoop, as a dict in a bucket or on HDFS is: a file: URI reaches the same file.
    assertThatThrownBy(() -> ClassifierHead.read(MODEL, "m", "file://" + twoClasses))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("names the classes [0, 1]; the model has 3");
    Path pretrained =
        Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny");
    assertThatThrownBy(() -> ClassifierHead.read(pretrained, "v1-tiny", null))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("v1-tiny is neither a cellspark finetune output nor a Hugging Face")
        .hasMessageContaining("BertForSequenceClassification");
  }

  private static int argmax(JsonNode p) {
    int best = 0;
    for (int k = 1; k < p.size(); k++) {
      best = p.get(k).asDouble() > p.get(best).asDouble() ? k : best;
    }
    return best;
  }
}
