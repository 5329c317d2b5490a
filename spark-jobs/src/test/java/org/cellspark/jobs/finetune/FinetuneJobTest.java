package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.classify.Applied;
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ClassifyOptions;
import org.cellspark.jobs.classify.ClassifyResult;
import org.cellspark.jobs.common.CellSample;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.model.Precision;
import org.cellspark.testing.ClassifierScores;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning the tiny V2 model on a label that depends on gene order (whether one gene ranks among
 * a cell's first three), with donors held out: the held-out macro-F1 is high, and clearly above
 * `classify` on the same model's frozen embeddings; the outputs are there, and the fine-tuned
 * folder is a checkpoint `embed` reads.
 */
@ExtendWith(SharedSpark.class)
class FinetuneJobTest {
  @TempDir Path tmp;

  /** V2-style cells of the small vocabulary's genes, six donors; label "top" or "not". */
  private String tokens(SparkSession spark, Vocabulary v) {
    return tokens(spark, v, tmp.resolve("tokens"), 1200);
  }

  static String tokens(SparkSession spark, Vocabulary v, Path folder, int n) {
    int cls = v.clsId().getAsInt();
    int eos = v.eosId().getAsInt();
    List<Integer> genes = new ArrayList<>();
    v.tokenIds()
        .forEach(
            (gene, id) -> {
              if (!v.isSpecialToken(gene)) {
                genes.add(id);
              }
            });
    Collections.sort(genes);
    int marker = genes.get(6);
    Random r = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      List<Integer> shuffled = new ArrayList<>(genes);
      Collections.shuffle(shuffled, r);
      int length = 12 + r.nextInt(9);
      List<Integer> chosen = new ArrayList<>(shuffled.subList(0, length));
      if (!chosen.contains(marker)) {
        chosen.set(r.nextInt(length), marker);
      }
      Integer[] cell = new Integer[length + 2];
      cell[0] = cls;
      for (int i = 0; i < length; i++) {
        cell[i + 1] = chosen.get(i);
      }
      cell[length + 1] = eos;
      rows.add(
          RowFactory.create(
              String.format("c%04d", c),
              cell,
              cell.length,
              chosen.indexOf(marker) < 3 ? "top" : "not",
              "D" + (1 + c % 6)));
    }
    // And a cell of <cls> and <eos> alone for each donor: no gene to pool, so left out (trained
    // on, its mean over no genes would be NaN and spoil the model; counted, predictions/ would
    // have six more rows).
    for (int d = 1; d <= 6; d++) {
      rows.add(RowFactory.create("empty" + d, new Integer[] {cls, eos}, 2, "top", "D" + d));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("length", DataTypes.IntegerType)
            .add("label", DataTypes.StringType)
            .add("donor", DataTypes.StringType);
    String out = folder.toString();
    spark.createDataFrame(rows, schema).write().parquet(out);
    return out;
  }

  @Test
  void fp16IsRefusedWithTheReasonAndEveryOptionProblemAtOnce() {
    assertThatThrownBy(
            () ->
                FinetuneOptions.builder()
                    .input("t")
                    .label("l")
                    .model("m")
                    .output("o")
                    .precision(Precision.FP16)
                    .dropout(1.0)
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--precision fp16 does not train")
        .hasMessageContaining("use bf16 or fp32")
        .hasMessageContaining("--dropout must be at least 0 and below 1");
  }

  /**
   * finetune --data-parallel 2 (two tasks of the test's local[2] session, joined by a ring) trains
   * the model one task accumulating two batches a step trains, dropout on (the config's rates):
   * every cell's predicted probabilities and the splits' scores as that run's; worker 0 evaluates
   * the splits it alone holds. --folds and --search with it are refused.
   */
  @Test
  void twoDataParallelWorkersFineTuneAsOneAccumulatingTwo(SparkSession spark) {
    String vocabularyFolder = Fixtures.vocab("vocab-v2-small").toString();
    String tokens = tokens(spark, VocabularyLoader.load(vocabularyFolder), tmp.resolve("t"), 400);
    FinetuneOptions.Builder options =
        FinetuneOptions.builder()
            .input(tokens)
            .vocabulary(vocabularyFolder)
            .label("label")
            .group("donor")
            .model(Fixtures.vocab("models/tiny-v2").toString())
            .epochs(2)
            .learningRate(3e-3)
            .warmupSteps(2)
            .batchTokens(512);
    FinetuneResult alone =
        FinetuneJob.run(
            spark, options.output(tmp.resolve("alone").toString()).gradientAccumulation(2).build());
    FinetuneResult both =
        FinetuneJob.run(
            spark,
            options
                .output(tmp.resolve("both").toString())
                .gradientAccumulation(1)
                .dataParallel(2)
                .build());
    assertThat(both.macroF1()).isEqualTo(alone.macroF1());
    java.util.Map<String, Double> probabilities = new java.util.HashMap<>();
    for (Row r : spark.read().parquet(alone.output() + "/predictions").collectAsList()) {
      probabilities.put(r.getAs("cell_id"), r.<Double>getAs("confidence"));
    }
    List<Row> parallel = spark.read().parquet(both.output() + "/predictions").collectAsList();
    assertThat(parallel).hasSize(probabilities.size()).hasSize(400);
    for (Row r : parallel) {
      assertThat(r.<Double>getAs("confidence"))
          .as("cell %s", r.<String>getAs("cell_id"))
          .isCloseTo(
              probabilities.get(r.<String>getAs("cell_id")),
              org.assertj.core.data.Offset.offset(1e-5));
    }
    assertThat(both.summary().get("training").toString())
        .contains("executor driver, cpu(); executor driver, cpu()")
        .containsPattern("gradient_sum_seconds=\\[[0-9.]+, [0-9.]+\\]");
    assertThat(alone.summary().get("training").toString()).doesNotContain("gradient_sum_seconds");
    assertThatThrownBy(() -> options.folds(2).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--data-parallel trains one model on several executors");
  }

  /**
   * Upstream Classifier's filter_data, max_ncells and max_ncells_per_class: four donors' cells,
   * then 200 of them, then at most 60 of each class; predictions/ holds exactly the cells chosen
   * (each split's), the same cells the sample's rule picks when worked out with Spark's own sort.
   */
  @Test
  void filtersAndCapsChooseTheCellsFineTunedOn(SparkSession spark) {
    String vocabularyFolder = Fixtures.vocab("vocab-v2-small").toString();
    String tokens = tokens(spark, VocabularyLoader.load(vocabularyFolder), tmp.resolve("t"), 600);
    FinetuneResult r =
        FinetuneJob.run(
            spark,
            FinetuneOptions.builder()
                .input(tokens)
                .vocabulary(vocabularyFolder)
                .label("label")
                .model(Fixtures.vocab("models/tiny-v2").toString())
                .output(tmp.resolve("capped").toString())
                .epochs(1)
                .warmupSteps(2)
                .batchTokens(512)
                .sample(
                    new CellSample(
                        List.of(CellSelection.Filter.parse("donor=D1,D2,D3,D4")), 200, 60))
                .build());
    // By hand: the four donors' cells with a gene, the 200 smallest hashes, then each class's 60.
    Dataset<Row> chosen =
        spark
            .read()
            .parquet(tokens)
            .filter("donor IN ('D1', 'D2', 'D3', 'D4') AND NOT cell_id LIKE 'empty%'")
            .withColumn("h", xxhash64(col("cell_id"), lit(42L)))
            .orderBy("h")
            .limit(200);
    List<String> expected = new ArrayList<>();
    for (String label : List.of("top", "not")) {
      chosen
          .filter(col("label").equalTo(label))
          .orderBy("h")
          .limit(60)
          .select("cell_id")
          .collectAsList()
          .forEach(x -> expected.add(x.getString(0)));
    }
    List<String> predicted =
        spark.read().parquet(r.output() + "/predictions").select("cell_id").collectAsList().stream()
            .map(x -> x.getString(0))
            .toList();
    assertThat(predicted).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(r.summary().get("split").toString())
        .contains("sample={max_cells=200, max_cells_per_class=60, seed=42}");
  }

  @Test
  void fineTuningBeatsFrozenEmbeddingsOnHeldOutDonors(SparkSession spark) throws Exception {
    String vocabularyFolder = Fixtures.vocab("vocab-v2-small").toString();
    String model = Fixtures.vocab("models/tiny-v2").toString();
    String tokens = tokens(spark, VocabularyLoader.load(vocabularyFolder));
    FinetuneResult ft =
        FinetuneJob.run(
            spark,
            FinetuneOptions.builder()
                .input(tokens)
                .vocabulary(vocabularyFolder)
                .label("label")
                .group("donor")
                .model(model)
                .output(tmp.resolve("ft").toString())
                .epochs(6)
                .learningRate(3e-3)
                .warmupSteps(20)
                .batchTokens(512)
                .build());

    EmbedResult embedded =
        EmbedJob.run(
            spark,
            EmbedOptions.of(tokens, model, tmp.resolve("emb").toString()).toBuilder()
                .vocabulary(vocabularyFolder)
                .build());
    assertThat(embedded.cells())
        .as("the six cells without a gene have no mean embedding")
        .isEqualTo(1200);
    assertThat(embedded.summary().get("counts").toString()).contains("cells_without_genes=6");
    String embeddings = embedded.output();
    ClassifyResult frozen =
        ClassifyJob.run(
            spark, ClassifyOptions.of(embeddings, "label", "donor", tmp.resolve("clf").toString()));
    double frozenF1 = ((Number) frozen.test().get("macro_f1")).doubleValue();
    assertThat(ft.reported()).isEqualTo("test");
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> options =
        (java.util.Map<String, Object>) ft.summary().get("options");
    assertThat(options.get("precision")).isEqualTo("fp32");
    assertThat(options.get("dropout").toString())
        .as("trained with the rates of the model's config.json")
        .isEqualTo("{hidden=0.02, attention=0.02, classifier=0.02, from=config.json}");
    assertThat(ft.macroF1()).as("fine-tuned vs frozen %s", frozenF1).isGreaterThan(0.9);
    assertThat(ft.macroF1()).isGreaterThan(frozenF1 + 0.2);

    Path out = Path.of(URI.create(ft.output()));
    for (String f :
        List.of(
            "model/config.json",
            "model/model.safetensors",
            "training.csv",
            "metrics.json",
            "confusion_matrix.csv",
            "confusion_matrix.png",
            "training.png",
            "splits.csv",
            "_cellspark.json")) {
      assertThat(out.resolve(f)).as(f).exists();
    }
    assertThat(Files.readAllLines(out.resolve("training.csv"))).hasSize(1 + ft.epochs());
    JsonNode config = new ObjectMapper().readTree(out.resolve("model/config.json").toFile());
    assertThat(config.get("architectures").get(0).asText())
        .isEqualTo("BertForSequenceClassification");
    assertThat(config.get("id2label").size()).isEqualTo(2);
    assertThat(spark.read().parquet(out.resolve("predictions").toString()).count()).isEqualTo(1200);
    // classify apply --tokens labels cells with the fine-tuned model as training evaluated them.
    // With --label, scored against the cells' labels (upstream's evaluate_saved_model).
    String applied = tmp.resolve("applied").toString();
    Applied scored =
        FineTunedApply.run(
            spark,
            new FineTunedApply.Options(
                ft.output(),
                tokens,
                vocabularyFolder,
                applied,
                false,
                List.of("label"),
                null,
                Precision.FP32));
    assertThat(scored.cells()).isEqualTo(1200);
    List<Row> labelled = spark.read().parquet(applied + "/predictions").collectAsList();
    List<List<String>> pairs = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    String positive = config.get("id2label").get("1").asText();
    for (Row r : labelled) {
      pairs.add(List.of(r.<String>getAs("label"), r.<String>getAs("predicted")));
      scores.add(
          new double[] {
            r.<scala.collection.Seq<Double>>getAs("probability").apply(1),
            positive.equals(r.getAs("label")) ? 1 : 0
          });
    }
    JsonNode metrics = new ObjectMapper().readTree(Path.of(applied, "metrics.json").toFile());
    assertThat(metrics.get("cells_scored").asLong()).isEqualTo(1200);
    assertThat(metrics.get("accuracy").asDouble())
        .isCloseTo(ClassifierScores.accuracy(pairs), within(1e-9));
    assertThat(metrics.get("macro_f1").asDouble())
        .isCloseTo(ClassifierScores.macroF1(pairs), within(1e-9));
    assertThat(metrics.get("roc_auc").asDouble())
        .isCloseTo(ClassifierScores.mannWhitneyAuc(scores), within(1e-9));
    assertThat(Path.of(applied, "roc.png")).exists();
    assertThat(Path.of(applied, "confusion_matrix.png")).exists();
    java.util.Map<String, Row> byCell = new java.util.HashMap<>();
    for (Row r : spark.read().parquet(out.resolve("predictions").toString()).collectAsList()) {
      byCell.put(r.getAs("cell_id"), r);
    }
    for (Row r : spark.read().parquet(applied + "/predictions").collectAsList()) {
      Row trained = byCell.get(r.<String>getAs("cell_id"));
      assertThat(r.<String>getAs("predicted")).isEqualTo(trained.getAs("predicted"));
      assertThat(r.<Double>getAs("confidence"))
          .isCloseTo(
              trained.<Double>getAs("confidence"), org.assertj.core.data.Offset.offset(1e-4));
    }
    // The fine-tuned folder is a checkpoint like any other for embed.
    assertThat(
            EmbedJob.run(
                    spark,
                    EmbedOptions.of(
                            tokens, out.resolve("model").toString(), tmp.resolve("emb2").toString())
                        .toBuilder()
                        .vocabulary(vocabularyFolder)
                        .build())
                .cells())
        .isEqualTo(1200);
  }
}
