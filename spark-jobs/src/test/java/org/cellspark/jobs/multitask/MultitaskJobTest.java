package org.cellspark.jobs.multitask;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.finetune.FineTunedApply;
import org.cellspark.model.Precision;
import org.cellspark.model.WeightsFile;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.cellspark.train.MultiTaskClassifier;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-task fine-tuning of the tiny V2 model on three labels of the same cells, donors held out:
 * "top" (whether one gene ranks among a cell's first three: order), "has" (whether another gene is
 * in the cell: presence; a fifth of the cells without it) and "coin" (a coin flip, nothing to
 * learn). The two learnable tasks reach a high held-out macro-F1 while the coin stays at chance: a
 * head reading another task's labels, or a task's loss left out, would not. The outputs are there,
 * the model folder holds upstream's weight names, and embed reads it as a checkpoint.
 */
@ExtendWith(SharedSpark.class)
class MultitaskJobTest {
  private static final String VOCABULARY = Fixtures.vocab("vocab-v2-small").toString();
  private static final String MODEL = Fixtures.vocab("models/tiny-v2").toString();

  @TempDir Path tmp;

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
    int present = genes.get(9);
    Random r = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      List<Integer> shuffled = new ArrayList<>(genes);
      shuffled.remove(Integer.valueOf(present));
      Collections.shuffle(shuffled, r);
      int length = 12 + r.nextInt(9);
      List<Integer> chosen = new ArrayList<>(shuffled.subList(0, length));
      if (!chosen.contains(marker)) {
        chosen.set(r.nextInt(length), marker);
      }
      boolean has = r.nextBoolean();
      if (has) {
        int at = r.nextInt(length);
        chosen.set(at == chosen.indexOf(marker) ? (at + 1) % length : at, present);
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
              chosen.indexOf(marker) < 3 ? "top" : "not",
              c % 5 == 0 ? null : has ? "yes" : "no",
              r.nextBoolean() ? "heads" : "tails",
              "D" + (1 + c % 6)));
    }
    rows.add(RowFactory.create("empty", new Integer[] {cls, eos}, "top", "yes", "heads", "D1"));
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("top", DataTypes.StringType)
            .add("has", DataTypes.StringType)
            .add("coin", DataTypes.StringType)
            .add("donor", DataTypes.StringType);
    String out = folder.toString();
    spark.createDataFrame(rows, schema).write().parquet(out);
    return out;
  }

  @Test
  void learnsEachTaskFromItsOwnLabels(SparkSession spark) throws Exception {
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 1200);
    MultitaskResult result =
        MultitaskJob.run(
            spark,
            MultitaskOptions.builder()
                .input(tokens)
                .vocabulary(VOCABULARY)
                .tasks(List.of("top", "has", "coin"))
                .group("donor")
                .model(MODEL)
                .output(tmp.resolve("mt").toString())
                .epochs(15)
                .learningRate(3e-3)
                .warmupSteps(20)
                .batchTokens(512)
                .build());
    assertThat(result.reported()).isEqualTo("test");
    assertThat(result.macroF1().get("top")).as("order, %s", result.macroF1()).isGreaterThan(0.85);
    assertThat(result.macroF1().get("has"))
        .as("presence, %s", result.macroF1())
        .isGreaterThan(0.85);
    assertThat(result.macroF1().get("coin")).as("a coin flip").isLessThan(0.7);
    assertThat(result.classes().get("has")).containsExactly("no", "yes");

    Path out = Path.of(URI.create(result.output()));
    for (String f :
        List.of(
            "model/config.json",
            "model/model.safetensors",
            "training.csv",
            "training.png",
            "metrics.json",
            "confusion_matrix_top.csv",
            "confusion_matrix_has.png",
            "confusion_matrix_coin.csv",
            "splits.csv",
            "_cellspark.json")) {
      assertThat(out.resolve(f)).as(f).exists();
    }
    assertThat(Files.readAllLines(out.resolve("training.csv")))
        .hasSize(1 + result.epochs())
        .first()
        .isEqualTo("epoch,train_loss,validation_loss,validation_mean_macro_f1");
    // The confusion matrix counts the test cells with a class for the task only.
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    JsonNode test = metrics.get("metrics").get("test");
    assertThat(test.get("tasks").get("has").get("cells").asLong())
        .isLessThan(test.get("cells").asLong());
    long counted = 0;
    for (String line : Files.readAllLines(out.resolve("confusion_matrix_has.csv")).subList(1, 3)) {
      for (String n : line.substring(line.indexOf(',') + 1).split(",")) {
        counted += Long.parseLong(n);
      }
    }
    assertThat(counted).isEqualTo(test.get("tasks").get("has").get("cells").asLong());

    // Every cell with a gene, each task predicted for it (the cells without "has" too).
    List<Row> predictions =
        spark.read().parquet(out.resolve("predictions").toString()).collectAsList();
    assertThat(predictions).hasSize(1200);
    long unlabelled = predictions.stream().filter(p -> p.getAs("has") == null).count();
    assertThat(unlabelled).isEqualTo(240);
    assertThat(predictions)
        .allSatisfy(
            p -> {
              assertThat(p.<String>getAs("has_predicted")).isIn("no", "yes");
              assertThat(p.<Double>getAs("top_confidence")).isBetween(0.5, 1.0);
              assertThat(p.getList(p.fieldIndex("coin_probability"))).hasSize(2);
            });

    // The folder: upstream's GeneformerMultiTask weight names, the tasks in config.json.
    JsonNode config = new ObjectMapper().readTree(out.resolve("model/config.json").toFile());
    assertThat(config.get("architectures").get(0).asText()).isEqualTo("GeneformerMultiTask");
    assertThat(config.get("cellspark_pooling").asText()).isEqualTo("attention");
    assertThat(config.get("cellspark_tasks").get(1).get("name").asText()).isEqualTo("has");
    var tensors = WeightsFile.open(out.resolve("model/model.safetensors")).tensors();
    assertThat(tensors.get(MultiTaskClassifier.ATTENTION_WEIGHTS).shape()).containsExactly(32, 1);
    assertThat(tensors.keySet())
        .contains(
            MultiTaskClassifier.ATTENTION_WEIGHTS,
            "classification_heads.0.weight",
            "classification_heads.2.bias",
            "bert.embeddings.word_embeddings.weight");
    // classify apply --tokens labels the cells for every task as training's evaluation did.
    String applied = tmp.resolve("applied").toString();
    assertThat(
            MultitaskApply.run(
                    spark,
                    new FineTunedApply.Options(
                        result.output(),
                        tokens,
                        VOCABULARY,
                        applied,
                        false,
                        List.of("top"),
                        null,
                        Precision.FP32))
                .cells())
        .as("the cell without a gene left out")
        .isEqualTo(1200);
    Map<String, Row> trained = new HashMap<>();
    predictions.forEach(p -> trained.put(p.getAs("cell_id"), p));
    List<Row> labelled = spark.read().parquet(applied + "/predictions").collectAsList();
    assertThat(labelled).hasSize(1200);
    // --label top: that task scored against the cells' own "top" labels, the others not.
    JsonNode scored =
        new ObjectMapper().readTree(Path.of(applied, "metrics.json").toFile()).get("tasks");
    assertThat(scored.get("top").get("cells_scored").asLong()).isEqualTo(1200);
    assertThat(scored.get("top").get("accuracy").asDouble())
        .isCloseTo(
            labelled.stream()
                    .filter(a -> a.<String>getAs("top").equals(a.getAs("top_predicted")))
                    .count()
                / 1200.0,
            within(1e-9));
    assertThat(scored.has("has")).isFalse();
    assertThat(Path.of(applied, "confusion_matrix_top.png")).exists();
    assertThat(Path.of(applied, "roc_top.csv")).exists();
    for (Row a : labelled) {
      Row t = trained.get(a.<String>getAs("cell_id"));
      assertThat(a.<String>getAs("donor")).as("the table's columns carried").isNotNull();
      for (String task : List.of("top", "has", "coin")) {
        assertThat(a.<String>getAs(task + "_predicted")).isEqualTo(t.getAs(task + "_predicted"));
        assertThat(a.<Double>getAs(task + "_confidence"))
            .isCloseTo(t.<Double>getAs(task + "_confidence"), within(1e-5));
      }
    }
    // --precision bf16 (here on the CPU; on GPU executors the same program): the encoder computes
    // as torch.autocast does, so each confidence is fp32's to bf16's precision, not to 1e-5; fp16
    // is refused, naming what runs.
    String bf16 = tmp.resolve("applied-bf16").toString();
    MultitaskApply.run(
        spark,
        new FineTunedApply.Options(
            result.output(), tokens, VOCABULARY, bf16, false, List.of(), null, Precision.BF16));
    Map<String, Row> fp32 = new HashMap<>();
    labelled.forEach(a -> fp32.put(a.getAs("cell_id"), a));
    double worst = 0;
    for (Row a : spark.read().parquet(bf16 + "/predictions").collectAsList()) {
      Row f = fp32.get(a.<String>getAs("cell_id"));
      for (String task : List.of("top", "has", "coin")) {
        worst =
            Math.max(
                worst,
                Math.abs(
                    a.<Double>getAs(task + "_confidence") - f.<Double>getAs(task + "_confidence")));
      }
    }
    assertThat(worst)
        .as("bf16 against fp32, the worst confidence")
        .isGreaterThan(1e-5)
        .isLessThan(0.1);
    assertThatThrownBy(
            () ->
                MultitaskApply.run(
                    spark,
                    new FineTunedApply.Options(
                        result.output(),
                        tokens,
                        VOCABULARY,
                        tmp.resolve("fp16").toString(),
                        false,
                        List.of(),
                        null,
                        Precision.FP16)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("runs in fp32 or bf16");
    // Tokens the model has no embedding for are refused on the driver, naming a cell (they failed
    // inside the model on an executor, an internal error).
    String cellId0 = spark.read().parquet(tokens).select("cell_id").first().get(0).toString();
    String outside =
        TokenTables.withCellTokens(spark, tokens, cellId0, tmp.resolve("outside-tokens"), -5);
    assertThatThrownBy(
            () ->
                MultitaskApply.run(
                    spark,
                    new FineTunedApply.Options(
                        result.output(),
                        outside,
                        VOCABULARY,
                        tmp.resolve("outside").toString(),
                        false,
                        List.of(),
                        null,
                        Precision.FP32)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "the tokens include id -5 (cell '" + cellId0 + "'); token ids are never negative");
    assertThat(tmp.resolve("outside")).doesNotExist();
    // and a checkpoint like any other for embed (upstream's save_model_without_heads).
    assertThat(
            EmbedJob.run(
                    spark,
                    EmbedOptions.of(
                            tokens, out.resolve("model").toString(), tmp.resolve("emb").toString())
                        .toBuilder()
                        .vocabulary(VOCABULARY)
                        .build())
                .cells())
        .isEqualTo(1200);
  }

  /**
   * Killed part-way through its second epoch (states saved after every step), the same command
   * resumes at the next step and ends as the uninterrupted run: every task's probabilities for
   * every cell within 1e-5. The state holds the attention vector and every head: resumed without
   * them, the predictions would differ.
   */
  @Test
  void aKilledRunResumesToTheUninterruptedOne(SparkSession spark) {
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 480);
    java.util.function.Function<String, MultitaskOptions> options =
        name ->
            twoTasks(tokens)
                .output(tmp.resolve(name).toString())
                .epochs(3)
                .learningRate(3e-3)
                .warmupSteps(5)
                .checkpointMinutes(1e-9)
                .build();
    MultitaskResult whole = MultitaskJob.run(spark, options.apply("whole"));
    int batches = 20;
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_STEPS, Integer.toString(batches));
    try {
      assertThatThrownBy(() -> MultitaskJob.run(spark, options.apply("killed")))
          .hasStackTraceContaining("stopped after step " + batches);
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_STEPS);
    }
    assertThat(tmp.resolve(".killed.cellspark-work/multitask/state.safetensors")).exists();
    assertThat(tmp.resolve("killed")).doesNotExist();
    MultitaskResult resumed = MultitaskJob.run(spark, options.apply("killed"));
    assertThat(resumed.summary().get("training").toString()).contains("resumed_after_epoch=1");
    assertThat(tmp.resolve(".killed.cellspark-work")).doesNotExist();
    assertSameProbabilities(spark, resumed.output(), whole.output(), 480);
  }

  /**
   * --lora with the multi-task heads: a killed run resumes to the uninterrupted one (the state
   * holds the adapters and their moments), two data-parallel workers train what one task
   * accumulating two trains (the adapters' gradients summed), and the saved model has the adapters
   * folded into the query and value projections, every other encoder weight the checkpoint's.
   */
  @Test
  void loraResumesAndSplitsOverWorkersAsTheWholeModelDoes(SparkSession spark) throws Exception {
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 240);
    java.util.function.Function<String, MultitaskOptions.Builder> options =
        name ->
            twoTasks(tokens)
                .output(tmp.resolve(name).toString())
                .epochs(2)
                .learningRate(1e-2)
                .warmupSteps(2)
                .checkpointMinutes(1e-9)
                .gradientAccumulation(2)
                .lora(new org.cellspark.model.LoraAdapters.Settings(4, 8, 0.1));
    MultitaskResult whole = MultitaskJob.run(spark, options.apply("whole").build());
    assertThat(whole.summary().get("options").toString())
        .contains("lora={rank=4, alpha=8.0, dropout=0.1, targets=[query, value]}");
    int steps = 3;
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_STEPS, Integer.toString(steps));
    try {
      assertThatThrownBy(() -> MultitaskJob.run(spark, options.apply("killed").build()))
          .hasStackTraceContaining("stopped after step " + steps);
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_STEPS);
    }
    MultitaskResult resumed = MultitaskJob.run(spark, options.apply("killed").build());
    assertThat(resumed.summary().get("training").toString()).contains("resumed_after_epoch=");
    assertSameProbabilities(spark, resumed.output(), whole.output(), 240);
    MultitaskResult both =
        MultitaskJob.run(
            spark, options.apply("both").gradientAccumulation(1).dataParallel(2).build());
    assertSameProbabilities(spark, both.output(), whole.output(), 240);

    var saved =
        org.cellspark.model.WeightsFile.open(
            Path.of(java.net.URI.create(whole.output())).resolve("model/model.safetensors"));
    var checkpoint = org.cellspark.model.WeightsFile.open(Path.of(MODEL, "model.safetensors"));
    assertThat(saved.tensors().keySet())
        .noneMatch(org.cellspark.model.LoraAdapters::isAdapter)
        .contains("attention_pool.attention_weights", "classification_heads.1.weight");
    assertThat(saved.floatArray("bert.encoder.layer.1.attention.self.value.weight"))
        .isNotEqualTo(checkpoint.floatArray("bert.encoder.layer.1.attention.self.value.weight"));
    assertThat(saved.floatArray("bert.encoder.layer.1.attention.self.key.weight"))
        .containsExactly(checkpoint.floatArray("bert.encoder.layer.1.attention.self.key.weight"));
    assertThat(saved.floatArray("bert.embeddings.word_embeddings.weight"))
        .containsExactly(checkpoint.floatArray("bert.embeddings.word_embeddings.weight"));
  }

  /**
   * The tasks "top" and "has" of {@code tokens} with the tiny model, donors held out, 512 tokens a
   * batch: what the resume, data-parallel and search tests train, each with its own epochs and
   * rates.
   */
  private static MultitaskOptions.Builder twoTasks(String tokens) {
    return MultitaskOptions.builder()
        .input(tokens)
        .vocabulary(VOCABULARY)
        .tasks(List.of("top", "has"))
        .group("donor")
        .model(MODEL)
        .batchTokens(512);
  }

  /** Every cell's probabilities for both tasks, in two outputs' predictions/, within 1e-5. */
  private static void assertSameProbabilities(
      SparkSession spark, String output, String expected, int cells) {
    Map<String, Row> before = new HashMap<>();
    spark
        .read()
        .parquet(expected + "/predictions")
        .collectAsList()
        .forEach(r -> before.put(r.getAs("cell_id"), r));
    List<Row> after = spark.read().parquet(output + "/predictions").collectAsList();
    assertThat(after).hasSize(before.size()).hasSize(cells);
    for (Row r : after) {
      for (String task : List.of("top", "has")) {
        List<Double> want =
            before.get(r.<String>getAs("cell_id")).getList(r.fieldIndex(task + "_probability"));
        List<Double> got = r.getList(r.fieldIndex(task + "_probability"));
        for (int k = 0; k < want.size(); k++) {
          assertThat(got.get(k)).isCloseTo(want.get(k), within(1e-5));
        }
      }
    }
  }

  /**
   * --data-parallel 2 (two tasks of the test session, joined by a ring) trains the model one task
   * accumulating two batches a step trains: every cell's probabilities for every task within 1e-5;
   * the two workers named in the summary; with --search it is refused.
   */
  @Test
  void twoDataParallelWorkersTrainAsOneAccumulatingTwo(SparkSession spark) {
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 240);
    MultitaskOptions.Builder options = twoTasks(tokens).epochs(2).learningRate(3e-3).warmupSteps(2);
    MultitaskResult alone =
        MultitaskJob.run(
            spark, options.output(tmp.resolve("alone").toString()).gradientAccumulation(2).build());
    MultitaskResult both =
        MultitaskJob.run(
            spark,
            options
                .output(tmp.resolve("both").toString())
                .gradientAccumulation(1)
                .dataParallel(2)
                .build());
    assertThat(both.summary().get("training").toString())
        .contains("executor driver, cpu(); executor driver, cpu()")
        .containsPattern("gradient_sum_seconds=\\[[0-9.]+, [0-9.]+\\]");
    assertSameProbabilities(spark, both.output(), alone.output(), 240);
    assertThatThrownBy(
            () ->
                options
                    .search(
                        org.cellspark.jobs.finetune.SettingsSearch.parse(
                            List.of("learning-rate=1e-3,3e-3")))
                    .build())
        .isInstanceOf(org.cellspark.error.UserException.class)
        .hasMessageContaining("with --search each training is a task of its own");
  }

  /**
   * --search: a trial per value, the best validation mean macro-F1 kept; the kept model's
   * predictions are those a single run with the kept settings makes, and trials.csv lists both.
   */
  @Test
  void aSearchKeepsWhatASingleRunWithTheKeptSettingsMakes(SparkSession spark) throws Exception {
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 480);
    java.util.function.BiFunction<String, Double, MultitaskOptions.Builder> options =
        (name, rate) ->
            twoTasks(tokens)
                .output(tmp.resolve(name).toString())
                .epochs(3)
                .learningRate(rate)
                .warmupSteps(5);
    MultitaskResult searched =
        MultitaskJob.run(
            spark,
            options
                .apply("search", 1e-7)
                .search(
                    org.cellspark.jobs.finetune.SettingsSearch.parse(
                        List.of("learning-rate=1e-7,3e-3")))
                .build());
    Path out = Path.of(URI.create(searched.output()));
    List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
    assertThat(csv)
        .hasSize(3)
        .first()
        .isEqualTo("trial,learning-rate,best_epoch,validation_loss,validation_mean_macro_f1,kept");
    assertThat(out.resolve("trials")).doesNotExist();
    int kept = csv.get(1).endsWith(",yes") ? 0 : 1;
    assertThat(csv.get(1 + kept)).endsWith(",yes");
    assertThat(searched.summary().get("search").toString()).contains("kept_trial=" + kept);
    MultitaskResult single =
        MultitaskJob.run(spark, options.apply("single", kept == 0 ? 1e-7 : 3e-3).build());
    Map<String, Row> alone = new HashMap<>();
    spark
        .read()
        .parquet(single.output() + "/predictions")
        .collectAsList()
        .forEach(r -> alone.put(r.getAs("cell_id"), r));
    List<Row> rows = spark.read().parquet(searched.output() + "/predictions").collectAsList();
    assertThat(rows).hasSize(alone.size());
    for (Row r : rows) {
      for (String task : List.of("top", "has")) {
        assertThat(r.<Double>getAs(task + "_confidence"))
            .isCloseTo(
                alone.get(r.<String>getAs("cell_id")).<Double>getAs(task + "_confidence"),
                within(1e-6));
      }
    }
  }

  @Test
  void refusesOneTaskWeightsThatDoNotMatchAndATaskWithoutClasses(SparkSession spark) {
    assertThatThrownBy(
            () ->
                MultitaskOptions.builder()
                    .input("t")
                    .tasks(List.of("a"))
                    .taskWeights(new double[] {1, 0})
                    .model("m")
                    .output("o")
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--tasks needs two or more label columns")
        .hasMessageContaining("cellspark finetune --label")
        .hasMessageContaining("--task-weights must give one weight above 0 per task");
    String tokens = tokens(spark, VocabularyLoader.load(VOCABULARY), tmp.resolve("tokens"), 120);
    assertThatThrownBy(
            () ->
                MultitaskJob.run(
                    spark,
                    MultitaskOptions.builder()
                        .input(tokens)
                        .vocabulary(VOCABULARY)
                        .tasks(List.of("top", "nope"))
                        .model(MODEL)
                        .output(tmp.resolve("x").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("--tasks");
    // Classes of "has" with fewer cells than --min-class-size: the task is named.
    assertThatThrownBy(
            () ->
                MultitaskJob.run(
                    spark,
                    MultitaskOptions.builder()
                        .input(tokens)
                        .vocabulary(VOCABULARY)
                        .tasks(List.of("top", "has"))
                        .model(MODEL)
                        .minClassSize(100)
                        .output(tmp.resolve("y").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("top");
    assertThat(tmp.resolve("y")).doesNotExist();
    // Splits given by donor (a group,split table, --group naming its column), none for
    // validation: refused naming the task, before any training.
    java.nio.file.Path table = tmp.resolve("splits.csv");
    try {
      java.nio.file.Files.writeString(table, "D1,train\nD2,train\nD3,test\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThatThrownBy(
            () ->
                MultitaskJob.run(
                    spark,
                    MultitaskOptions.builder()
                        .input(tokens)
                        .vocabulary(VOCABULARY)
                        .tasks(List.of("top", "has"))
                        .group("donor")
                        .splitGroups(table.toString())
                        .model(MODEL)
                        .minClassSize(1)
                        .output(tmp.resolve("g").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("and 0 validation cells with a class");
    assertThat(tmp.resolve("g")).doesNotExist();
    // A task labelled on one donor's cells only, donors held out whole: the donor's split alone
    // has the task's classes, so training or validation has none.
    String rare = tmp.resolve("rare").toString();
    spark
        .read()
        .parquet(tokens)
        .withColumn(
            "rare",
            org.apache.spark.sql.functions.when(
                org.apache.spark.sql.functions.col("donor").equalTo("D1"),
                org.apache.spark.sql.functions.col("has")))
        .write()
        .parquet(rare);
    assertThatThrownBy(
            () ->
                MultitaskJob.run(
                    spark,
                    MultitaskOptions.builder()
                        .input(rare)
                        .vocabulary(VOCABULARY)
                        .tasks(List.of("top", "rare"))
                        .group("donor")
                        .model(MODEL)
                        .minClassSize(1)
                        .output(tmp.resolve("z").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("task rare of")
        .hasMessageContaining("validation cells with a class")
        .hasMessageContaining("every task needs both");
    assertThat(tmp.resolve("z")).doesNotExist();
  }
}
