package org.cellspark.jobs.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cellspark.testing.Vectors.floats;
import static org.cellspark.testing.Vectors.maxAbsDiff;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.Precision;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class EmbedJobTest {
  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String v2Tokens;
  private static final String V2_MODEL = Fixtures.vocab("models/tiny-v2").toString();
  private static JsonObject reference;

  @BeforeAll
  static void tokenize(SparkSession spark) throws IOException {
    v2Tokens = shared.resolve("tokens-v2").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .attribute("cell_type")
            .attribute("donor")
            .output(v2Tokens)
            .build());
    reference =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
            .getAsJsonObject();
  }

  private EmbedOptions options(String out) {
    return EmbedOptions.of(v2Tokens, V2_MODEL, tmp.resolve(out).toString());
  }

  private static Map<String, float[]> embeddings(SparkSession spark, String output) {
    Map<String, float[]> out = new TreeMap<>();
    for (Row r : spark.read().parquet(output + "/cells").collectAsList()) {
      Object e = r.getAs("embedding");
      out.put(
          r.getAs("cell_id"),
          e instanceof Vector v
              ? toFloats(v.toArray())
              : floats(r.<Float>getList(r.fieldIndex("embedding"))));
    }
    return out;
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  /** The four reference cells' embeddings equal PyTorch's; every cell of the table is there. */
  @Test
  void embedsEveryCellAsPyTorchDoes(SparkSession spark) {
    EmbedResult r = EmbedJob.run(spark, options("out"));
    assertThat(r.cells()).isEqualTo(37);
    Map<String, float[]> e = embeddings(spark, r.output());
    assertThat(e).hasSize(37);
    String[] names = {"hand1", "long1", "cell04", "cell17"};
    JsonArray cells = reference.getAsJsonObject("tiny-v2").getAsJsonArray("cells");
    for (int c = 0; c < names.length; c++) {
      float[] expected =
          floats(cells.get(c).getAsJsonObject().getAsJsonObject("mean").getAsJsonArray("-1"));
      assertThat(maxAbsDiff(e.get(names[c]), expected)).as(names[c]).isLessThanOrEqualTo(1e-4);
    }
    Row first = spark.read().parquet(r.output() + "/cells").first();
    assertThat(first.schema().fieldNames())
        .contains("cell_id", "length", "n_counts", "source", "cell_type", "donor", "embedding")
        .doesNotContain("input_ids");
    assertThat(first.<Object>getAs("embedding")).isInstanceOf(Vector.class); // MLlib-ready
  }

  @Test
  void oneOrSevenPartitionsGiveTheSameEmbeddings(SparkSession spark) {
    Map<String, float[]> one =
        embeddings(
            spark,
            EmbedJob.run(spark, options("p1").withExecution(64, Precision.FP32, 1, false))
                .output());
    Map<String, float[]> seven =
        embeddings(
            spark,
            EmbedJob.run(spark, options("p7").withExecution(1_000, Precision.FP32, 7, false))
                .output());
    assertThat(seven.keySet()).isEqualTo(one.keySet());
    for (String id : one.keySet()) {
      assertThat(maxAbsDiff(one.get(id), seven.get(id))).as(id).isLessThanOrEqualTo(1e-5);
    }
  }

  @Test
  void clsPoolingLastLayerFiltersLabelsAndArrays(SparkSession spark) {
    EmbedResult r =
        EmbedJob.run(
            spark,
            options("cls")
                .withPooling(Pooling.CLS, 0)
                .withSelection(
                    List.of(CellSelection.Filter.parse("donor=donor0,donor2")),
                    0,
                    42,
                    List.of("donor"))
                .withOutputs(true, EmbedOptions.Summary.NONE, null, false));
    List<Row> rows = spark.read().parquet(r.output() + "/cells").collectAsList();
    assertThat(rows)
        .allSatisfy(row -> assertThat(row.<String>getAs("donor")).isIn("donor0", "donor2"));
    assertThat(rows.get(0).schema().fieldNames()).containsExactly("cell_id", "donor", "embedding");
    Row hand =
        rows.stream()
            .filter(x -> x.<String>getAs("cell_id").equals("hand1"))
            .findFirst()
            .orElseThrow();
    float[] expected =
        floats(
            reference
                .getAsJsonObject("tiny-v2")
                .getAsJsonArray("cells")
                .get(0)
                .getAsJsonObject()
                .getAsJsonObject("cls")
                .getAsJsonArray("0"));
    assertThat(maxAbsDiff(floats(hand.<Float>getList(2)), expected)).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void maxCellsTakesTheSameSampleWhateverThePartitioning(SparkSession spark) {
    var a =
        embeddings(
                spark,
                EmbedJob.run(
                        spark,
                        options("s1")
                            .withSelection(List.of(), 10, 7, List.of())
                            .withExecution(64, Precision.FP32, 1, false))
                    .output())
            .keySet();
    var b =
        embeddings(
                spark,
                EmbedJob.run(
                        spark,
                        options("s2")
                            .withSelection(List.of(), 10, 7, List.of())
                            .withExecution(64, Precision.FP32, 5, false))
                    .output())
            .keySet();
    var c =
        embeddings(
                spark,
                EmbedJob.run(spark, options("s3").withSelection(List.of(), 10, 8, List.of()))
                    .output())
            .keySet();
    assertThat(a).hasSize(10).isEqualTo(b);
    assertThat(c).hasSize(10).isNotEqualTo(a);
  }

  /** Per-label mean and median, checked against a plain computation over the written cells. */
  @Test
  void stateEmbeddingsAreExactMeansAndLowerMedians(SparkSession spark) {
    for (EmbedOptions.Summary summary :
        new EmbedOptions.Summary[] {EmbedOptions.Summary.MEAN, EmbedOptions.Summary.MEDIAN}) {
      EmbedResult r =
          EmbedJob.run(
              spark, options("states-" + summary).withOutputs(false, summary, "cell_type", false));
      Map<String, List<float[]>> byType = new HashMap<>();
      for (Row row : spark.read().parquet(r.output() + "/cells").collectAsList()) {
        String type = row.getAs("cell_type");
        byType
            .computeIfAbsent(String.valueOf(type), k -> new ArrayList<>())
            .add(toFloats(row.<Vector>getAs("embedding").toArray()));
      }
      List<Row> states = spark.read().parquet(r.output() + "/state_embeddings").collectAsList();
      assertThat(states).hasSize(byType.size());
      assertThat(r.states()).isEqualTo(byType.size());
      for (Row s : states) {
        List<float[]> members = byType.get(String.valueOf(s.<String>getAs("label")));
        assertThat(s.<Long>getAs("n_cells")).isEqualTo(members.size());
        double[] actual = s.<Vector>getAs("embedding").toArray();
        for (int d = 0; d < actual.length; d++) {
          double[] values = new double[members.size()];
          for (int m = 0; m < values.length; m++) {
            values[m] = members.get(m)[d];
          }
          Arrays.sort(values);
          double expected =
              summary == EmbedOptions.Summary.MEAN
                  ? Arrays.stream(values).average().orElseThrow()
                  : values[(values.length - 1) / 2]; // torch.median: the lower middle
          assertThat(actual[d])
              .as("%s %s dim %d", summary, s.getAs("label"), d)
              .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
        }
      }
    }
  }

  /** Per-gene means of the layer's token vectors, special tokens left out. */
  @Test
  void geneEmbeddingsAreMeansOfTokenVectors(SparkSession spark) throws IOException {
    EmbedResult r =
        EmbedJob.run(
            spark, options("genes").withOutputs(false, EmbedOptions.Summary.NONE, null, true));
    Map<Integer, double[]> sum = new HashMap<>();
    Map<Integer, Integer> n = new HashMap<>();
    List<int[]> cells = new ArrayList<>();
    for (Row row : spark.read().parquet(v2Tokens).select("input_ids").collectAsList()) {
      cells.add(row.<Integer>getList(0).stream().mapToInt(Integer::intValue).toArray());
    }
    try (Encoder e = ModelLoader.load(Fixtures.vocab("models/tiny-v2"), Device.cpu());
        CellEmbedder embedder =
            new CellEmbedder(
                e, Device.cpu(), new EmbeddingSettings(-1, Pooling.MEAN, 100, 0, 2, 3))) {
      float[][] vectors = embedder.tokenVectors(cells);
      for (int c = 0; c < cells.size(); c++) {
        for (int p = 0; p < cells.get(c).length; p++) {
          int token = cells.get(c)[p];
          if (token <= 3) {
            continue; // <pad>, <mask>, <cls>, <eos>
          }
          double[] s = sum.computeIfAbsent(token, k -> new double[32]);
          for (int j = 0; j < 32; j++) {
            s[j] += vectors[c][p * 32 + j];
          }
          n.merge(token, 1, Integer::sum);
        }
      }
    }
    List<Row> genes = spark.read().parquet(r.output() + "/gene_embeddings").collectAsList();
    assertThat(genes).hasSize(sum.size());
    for (Row g : genes) {
      int token = g.getAs("token");
      assertThat(token).isGreaterThan(3);
      assertThat(g.<Long>getAs("n_cells")).isEqualTo(n.get(token).longValue());
      assertThat(g.<String>getAs("gene_id")).startsWith("ENSG");
      assertThat(g.<String>getAs("symbol")).startsWith("SYM");
      double[] actual = g.<Vector>getAs("embedding").toArray();
      for (int j = 0; j < 32; j++) {
        assertThat(actual[j])
            .isCloseTo(sum.get(token)[j] / n.get(token), org.assertj.core.data.Offset.offset(1e-5));
      }
    }
    JsonNode summary =
        new ObjectMapper()
            .readTree(
                java.nio.file.Path.of(java.net.URI.create(r.output() + "/_cellspark.json"))
                    .toFile());
    assertThat(summary.at("/counts/gene_embeddings").asLong()).isEqualTo(sum.size());
    assertThat(summary.at("/model/fingerprint").asText()).startsWith("sha256:");
    assertThat(summary.at("/vocabulary/location").asText())
        .isEqualTo(Fixtures.vocab("vocab-v2-small").toString());
  }

  @Test
  void refusesAModelThatDoesNotFitTheTokens(SparkSession spark) {
    String v1Model = Fixtures.vocab("models/tiny-v1").toString();
    assertThatThrownBy(
            () ->
                EmbedJob.run(
                    spark, EmbedOptions.of(v2Tokens, v1Model, tmp.resolve("x").toString())))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "the tokens were made with a V2 vocabulary (34 tokens, <cls> first) but the model has"
                + " vocab_size 32");
    assertThat(tmp.resolve("x")).doesNotExist();
    assertThatThrownBy(
            () ->
                EmbedJob.run(
                    spark,
                    options("y")
                        .withSelection(
                            List.of(CellSelection.Filter.parse("tissue=lung")), 0, 42, List.of())))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--filter: the token table has no column 'tissue'");
  }
}
