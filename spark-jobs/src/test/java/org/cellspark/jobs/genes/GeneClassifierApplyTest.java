package org.cellspark.jobs.genes;

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
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.model.Precision;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `classify apply --tokens` with a gene classifier as upstream's Classifier(classifier="gene")
 * saves one (fixtures/models/upstream-gene-classifier, made by
 * src/test/python/make_upstream_gene_classifier.py: BertForTokenClassification as
 * pytorch_model.bin, its id_class_dict and a gene_class_dict). Every expected number is recomputed
 * here from PyTorch's per-token probabilities (reference.json): each gene's mean over its
 * occurrences, and upstream's scores, every occurrence of a labelled gene one sample.
 */
@ExtendWith(SharedSpark.class)
class GeneClassifierApplyTest {
  private static final Path MODEL =
      Fixtures.repositoryRoot()
          .resolve("spark-jobs/src/test/resources/fixtures/models/upstream-gene-classifier");
  private static final String VOCABULARY = Fixtures.vocab("vocab-v1-small").toString();

  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String tokens;
  private static JsonNode reference;

  /** Per token: the sum of PyTorch's probabilities over its occurrences, then their count. */
  private static final Map<Integer, double[]> EXPECTED = new TreeMap<>();

  @BeforeAll
  static void cells(SparkSession spark) throws IOException {
    reference = new ObjectMapper().readTree(MODEL.resolve("reference.json").toFile());
    JsonNode cells = reference.get("cells");
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < cells.size(); c++) {
      List<Integer> ids = new ArrayList<>();
      JsonNode cell = cells.get(c);
      for (int p = 0; p < cell.get("input_ids").size(); p++) {
        int token = cell.get("input_ids").get(p).asInt();
        ids.add(token);
        double[] s = EXPECTED.computeIfAbsent(token, t -> new double[3]);
        s[0] += cell.get("probability").get(p).get(0).asDouble();
        s[1] += cell.get("probability").get(p).get(1).asDouble();
        s[2]++;
      }
      rows.add(RowFactory.create("g" + c, ids.toArray(new Integer[0]), ids.size()));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("length", DataTypes.IntegerType);
    tokens = shared.resolve("tokens").toString();
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(tokens);
  }

  private GeneClassifierApply.Options options(
      String out, List<String> genes, String geneClasses, String classes) {
    return new GeneClassifierApply.Options(
        MODEL.toString(),
        tokens,
        VOCABULARY,
        out,
        false,
        genes,
        geneClasses,
        classes,
        0,
        42,
        Precision.FP32);
  }

  /** Known class of token t (genes 1-6 sensitive, 7-12 and 30 insensitive), or -1. */
  private static int known(int token) {
    return token >= 2 && token <= 7 ? 1 : token >= 8 && token <= 13 || token == 31 ? 0 : -1;
  }

  @Test
  void everyGenesMeanProbabilityAndUpstreamsScoresArePyTorchs(SparkSession spark)
      throws IOException {
    Path out = tmp.resolve("applied");
    GeneClassifierApply.Result r =
        GeneClassifierApply.run(
            spark,
            options(
                out.toString(),
                List.of("all"),
                MODEL.resolve("gene_class_dict.pkl").toString(),
                MODEL.resolve("id_class_dict.pkl").toString()));
    assertThat(r.cells()).isEqualTo(reference.get("cells").size());
    assertThat(r.genes()).isEqualTo(EXPECTED.size());

    // predictions.csv: a row per gene that occurs, PyTorch's mean probabilities.
    List<String> lines = Files.readAllLines(out.resolve("predictions.csv"));
    assertThat(lines.get(0))
        .isEqualTo(
            "gene_id,symbol,occurrences,predicted,class,correct,"
                + "probability_Dosage-insensitive,probability_Dosage-sensitive");
    assertThat(lines).hasSize(EXPECTED.size() + 1);
    String[] names = {"Dosage-insensitive", "Dosage-sensitive"};
    Map<String, String[]> byGene = new HashMap<>();
    lines.stream().skip(1).map(l -> l.split(",", -1)).forEach(f -> byGene.put(f[0], f));
    long occurrences = 0;
    long right = 0;
    long[][] confusion = new long[2][2];
    int genesScored = 0;
    int genesRight = 0;
    for (Map.Entry<Integer, double[]> e : EXPECTED.entrySet()) {
      int token = e.getKey();
      double[] s = e.getValue();
      String[] f = byGene.get(String.format("ENSG%011d", token - 1));
      assertThat(f).as("gene of token %d", token).isNotNull();
      assertThat(Long.parseLong(f[2])).isEqualTo((long) s[2]);
      assertThat(Double.parseDouble(f[6])).isCloseTo(s[0] / s[2], within(1e-5));
      assertThat(Double.parseDouble(f[7])).isCloseTo(s[1] / s[2], within(1e-5));
      int predicted = s[1] > s[0] ? 1 : 0;
      assertThat(f[3]).isEqualTo(names[predicted]);
      int label = known(token);
      assertThat(f[4]).isEqualTo(label < 0 ? "" : names[label]);
      if (label >= 0) {
        genesScored++;
        genesRight += predicted == label ? 1 : 0;
        assertThat(f[5]).isEqualTo(Boolean.toString(predicted == label));
      }
    }
    // Upstream's scores: every occurrence of a labelled gene, by PyTorch's own probabilities.
    List<double[]> positives = new ArrayList<>();
    List<double[]> negatives = new ArrayList<>();
    JsonNode cells = reference.get("cells");
    for (JsonNode cell : cells) {
      for (int p = 0; p < cell.get("input_ids").size(); p++) {
        int label = known(cell.get("input_ids").get(p).asInt());
        if (label < 0) {
          continue;
        }
        double p1 = cell.get("probability").get(p).get(1).asDouble();
        int predicted = p1 > cell.get("probability").get(p).get(0).asDouble() ? 1 : 0;
        occurrences++;
        right += predicted == label ? 1 : 0;
        confusion[label][predicted]++;
        (label == 1 ? positives : negatives).add(new double[] {p1});
      }
    }
    double pairs = 0;
    for (double[] pos : positives) {
      for (double[] neg : negatives) {
        pairs += pos[0] > neg[0] ? 1 : pos[0] == neg[0] ? 0.5 : 0;
      }
    }
    double auc = pairs / (positives.size() * (double) negatives.size());
    JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertThat(m.get("occurrences_scored").asLong()).isEqualTo(occurrences);
    assertThat(m.get("accuracy").asDouble()).isCloseTo(right / (double) occurrences, within(1e-9));
    assertThat(m.get("confusion_matrix").toString())
        .isEqualTo(
            String.format(
                "[[%d,%d],[%d,%d]]",
                confusion[0][0], confusion[0][1], confusion[1][0], confusion[1][1]));
    // A pair of occurrences whose scores differ by less than the 1e-5 the engine may differ from
    // PyTorch by could swap: one pair moves the area by 1 / (positives x negatives).
    assertThat(m.get("roc_auc").asDouble()).isCloseTo(auc, within(1e-3));
    assertThat(m.get("genes_scored").asInt()).isEqualTo(genesScored);
    assertThat(m.get("genes_right").asInt()).isEqualTo(genesRight);
    assertThat(m.get("genes_not_in_cells").asInt()).isEqualTo(13 - genesScored).isPositive();
    assertThat(out.resolve("confusion_matrix.png")).exists();
    assertThat(out.resolve("roc.csv")).exists();
    assertThat(r.line()).contains("occurrences scored").contains("ROC AUC");
  }

  @Test
  void onlyTheGenesAskedForWithoutScores(SparkSession spark) throws IOException {
    Path out = tmp.resolve("one");
    GeneClassifierApply.Result r =
        GeneClassifierApply.run(
            spark, options(out.toString(), List.of("ENSG00000000020"), null, null));
    assertThat(r.genes()).isEqualTo(1);
    assertThat(r.metrics()).isNull();
    List<String> lines = Files.readAllLines(out.resolve("predictions.csv"));
    assertThat(lines.get(0)).endsWith("probability_LABEL_0,probability_LABEL_1");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).startsWith("ENSG00000000020,");
    assertThat(Long.parseLong(lines.get(1).split(",")[2])).isEqualTo((long) EXPECTED.get(21)[2]);
    assertThat(out.resolve("metrics.json")).doesNotExist();
    GeneClassifierApply.Result sampled =
        GeneClassifierApply.run(
            spark,
            new GeneClassifierApply.Options(
                MODEL.toString(),
                tokens,
                VOCABULARY,
                tmp.resolve("sampled").toString(),
                false,
                List.of("ENSG00000000020"),
                null,
                null,
                5,
                42,
                Precision.FP32));
    assertThat(sampled.cells()).as("--max-cells 5").isEqualTo(5);
    assertThat(sampled.occurrences()).isLessThanOrEqualTo((long) EXPECTED.get(21)[2]);
  }

  /** --precision bf16: the encoder in bfloat16, each mean probability PyTorch's to bf16's. */
  @Test
  void bf16MeansAreFp32sToBf16sPrecision(SparkSession spark) throws IOException {
    Path out = tmp.resolve("bf16");
    GeneClassifierApply.run(
        spark,
        new GeneClassifierApply.Options(
            MODEL.toString(),
            tokens,
            VOCABULARY,
            out.toString(),
            false,
            List.of("all"),
            null,
            null,
            0,
            42,
            org.cellspark.model.Precision.BF16));
    double worst = 0;
    for (String line :
        Files.readAllLines(out.resolve("predictions.csv")).subList(1, 1 + EXPECTED.size())) {
      String[] f = line.split(",", -1);
      double[] s = EXPECTED.get(Integer.parseInt(f[0].substring(4)) + 1);
      worst = Math.max(worst, Math.abs(Double.parseDouble(f[7]) - s[1] / s[2]));
    }
    assertThat(worst).isGreaterThan(1e-6).isLessThan(0.1);
  }

  @Test
  void classesTheModelLacksAndCellClassifiersAreRefused(SparkSession spark) {
    // Without --classes the model's classes are LABEL_0 and LABEL_1: the dict's are not among them.
    assertThatThrownBy(
            () ->
                GeneClassifierApply.run(
                    spark,
                    options(
                        tmp.resolve("x").toString(),
                        List.of("all"),
                        MODEL.resolve("gene_class_dict.pkl").toString(),
                        null)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("class 'Dosage-")
        .hasMessageContaining("is not one of the model's (LABEL_0, LABEL_1)");
    Path cellClassifier = MODEL.resolveSibling("upstream-cell-classifier");
    assertThatThrownBy(
            () ->
                GeneClassifierApply.run(
                    spark,
                    new GeneClassifierApply.Options(
                        cellClassifier.toString(),
                        tokens,
                        VOCABULARY,
                        tmp.resolve("y").toString(),
                        false,
                        List.of(),
                        null,
                        null,
                        0,
                        42,
                        Precision.FP32)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not a gene classifier");
    assertThat(tmp.resolve("x")).doesNotExist();
    assertThat(tmp.resolve("y")).doesNotExist();
  }

  /**
   * Tokens the model has no embedding for are refused on the driver, naming a cell (they failed
   * inside the model on an executor, an internal error).
   */
  @Test
  void tokensOutsideTheModelsVocabularyAreRefusedNamingACell(SparkSession spark) {
    String outside =
        TokenTables.withCellTokens(spark, tokens, "g1", tmp.resolve("outside-tokens"), 40);
    assertThatThrownBy(
            () ->
                GeneClassifierApply.run(
                    spark,
                    new GeneClassifierApply.Options(
                        MODEL.toString(),
                        outside,
                        VOCABULARY,
                        tmp.resolve("z").toString(),
                        false,
                        List.of("all"),
                        null,
                        null,
                        0,
                        42,
                        Precision.FP32)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "the tokens include id 40 (cell 'g1') but the model's vocabulary has 32 entries");
    assertThat(tmp.resolve("z")).doesNotExist();
  }
}
