package org.cellspark.jobs.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.WeightsFile;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pretraining the tiny V2 model on cells whose genes come in runs (gene g is followed by g + 1): a
 * masked gene shows in its neighbours, so pretraining must learn to name masked genes far above
 * chance; on cells of random genes in random order the same training stays near chance (a mask that
 * leaked the gene would not).
 */
@ExtendWith(SharedSpark.class)
class PretrainJobTest {
  @TempDir Path tmp;

  private static final String VOCABULARY = Fixtures.vocab("vocab-v2-small").toString();
  private static final String MODEL = Fixtures.vocab("models/tiny-v2").toString();

  /**
   * V2 cells (<cls> first, <eos> last) of 8 to 16 of the small vocabulary's 30 genes (tokens 4-33):
   * a run of consecutive genes from a random start (wrapping around) when {@code runs}, else random
   * genes in random order.
   */
  static String tokens(SparkSession spark, Path folder, int n, boolean runs) {
    Random r = new Random(5);
    List<List<Integer>> cells = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      int length = 8 + r.nextInt(9);
      List<Integer> cell = new ArrayList<>();
      if (runs) {
        int start = r.nextInt(30);
        for (int i = 0; i < length; i++) {
          cell.add(4 + (start + i) % 30);
        }
      } else {
        List<Integer> all = new ArrayList<>();
        for (int t = 4; t < 34; t++) {
          all.add(t);
        }
        Collections.shuffle(all, r);
        cell.addAll(all.subList(0, length));
      }
      cell.add(0, 2);
      cell.add(3);
      cells.add(cell);
    }
    return TokenTables.write(spark, folder, cells, c -> "d" + c % 3);
  }

  private PretrainOptions.Builder options(String tokens, String output) {
    return PretrainOptions.builder()
        .input(tokens)
        .vocabulary(VOCABULARY)
        .model(MODEL)
        .output(tmp.resolve(output).toString())
        .epochs(40)
        .learningRate(1e-2)
        .warmupSteps(10)
        .dropout(0.0)
        .validationCells(60)
        .batchTokens(512);
  }

  private static Path folder(String uri) {
    return Path.of(uri.replaceFirst("^file:", ""));
  }

  @Test
  void learnsToNameMaskedGenesFromTheirNeighbours(SparkSession spark) throws Exception {
    String runs = tokens(spark, tmp.resolve("runs"), 600, true);
    PretrainResult r = PretrainJob.run(spark, options(runs, "p").build());
    PretrainResult control =
        PretrainJob.run(
            spark, options(tokens(spark, tmp.resolve("random"), 600, false), "c").build());

    // Chance is about 1 in 20 (a gene not among the cell's others); copying a masked gene left in
    // place (10% of them) adds at most 0.1.
    assertThat(r.validationAccuracy()).as("masked genes named from their runs").isGreaterThan(0.3);
    assertThat(r.validationLoss()).isLessThan(Math.log(30) - 1);
    assertThat(control.validationAccuracy()).as("random cells: near chance").isLessThan(0.15);
    assertThat(r.accuracyBefore())
        .as("the model as it started, scored with the same masks")
        .isLessThan(0.15)
        .isLessThan(r.validationAccuracy() - 0.2);
    assertThat(r.lossBefore()).isGreaterThan(r.validationLoss());
    assertThat(r.trainingCells()).isEqualTo(540);
    assertThat(r.validationCells()).isEqualTo(60);
    assertThat(r.epochsRun()).isEqualTo(40);

    Path out = folder(r.output());
    JsonNode config = new ObjectMapper().readTree(out.resolve("model/config.json").toFile());
    assertThat(config.path("architectures").get(0).asText()).isEqualTo("BertForMaskedLM");
    assertThat(config.path("vocab_size").asInt()).isEqualTo(34);
    WeightsFile weights = WeightsFile.open(out.resolve("model/model.safetensors"));
    assertThat(weights.tensors())
        .containsKeys(
            "bert.embeddings.word_embeddings.weight",
            "cls.predictions.transform.dense.weight",
            "cls.predictions.bias")
        .as("the embeddings, 2 layers of 16, the head's 5; no pooler, as BertForMaskedLM has none")
        .hasSize(5 + 2 * 16 + 5);
    assertThat(MaskedLmHeadWeights.of(out.resolve("model"), 0).fromCheckpoint())
        .as("the head is kept, so pretraining can continue from the output")
        .isTrue();
    List<String> curve = Files.readAllLines(out.resolve("training.csv"));
    assertThat(curve.get(0))
        .isEqualTo(
            "epoch,train_loss,validation_loss,validation_perplexity,"
                + "validation_masked_gene_accuracy");
    assertThat(curve).as("epochs 0 (the model as it started) to 40").hasSize(42);
    assertThat(curve.get(1)).startsWith("0,,");
    assertThat(Double.parseDouble(curve.get(1).split(",")[4]))
        .isCloseTo(r.accuracyBefore(), within(1e-6));
    String[] kept = curve.get(r.bestEpoch() + 1).split(",");
    assertThat(Double.parseDouble(kept[4])).isCloseTo(r.validationAccuracy(), within(1e-6));
    assertThat(Double.parseDouble(kept[3])).isCloseTo(Math.exp(r.validationLoss()), within(1e-3));
    assertThat(out.resolve("training.png")).isNotEmptyFile();
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertThat(metrics.path("metrics").path("validation_masked_gene_accuracy").asDouble())
        .isEqualTo(r.validationAccuracy());
    assertThat(metrics.path("metrics").path("training_tokens").asLong())
        .as("every training cell's tokens")
        .isBetween(540L * 10, 540L * 18);
    assertThat(tmp.resolve(".p.cellspark-work")).as("checkpoints gone").doesNotExist();

    // The pretrained model is a checkpoint like any other: embed reads it.
    EmbedResult embedded =
        EmbedJob.run(
            spark,
            EmbedOptions.of(runs, out.resolve("model").toString(), tmp.resolve("emb").toString())
                .toBuilder()
                .vocabulary(VOCABULARY)
                .build());
    assertThat(embedded.cells()).isEqualTo(600);
  }

  @Test
  void startsANewModelFromAConfig(SparkSession spark) throws Exception {
    // 300 cells, and 5 of <cls> and <eos> alone (nothing to mask: left out).
    List<List<Integer>> cells = new ArrayList<>();
    spark
        .read()
        .parquet(tokens(spark, tmp.resolve("only-runs"), 300, true))
        .orderBy("cell_id")
        .collectAsList()
        .forEach(r -> cells.add(new ArrayList<>(r.<Integer>getList(r.fieldIndex("input_ids")))));
    for (int i = 0; i < 5; i++) {
      cells.add(List.of(2, 3));
    }
    String runs = TokenTables.write(spark, tmp.resolve("runs"), cells, c -> "d" + c % 3);
    PretrainResult r =
        PretrainJob.run(
            spark,
            options(runs, "new")
                .model(null)
                .newModel(Path.of(MODEL, "config.json").toString())
                .epochs(2)
                .build());
    assertThat(r.epochsRun()).isEqualTo(2);
    assertThat(r.trainingCells() + r.validationCells()).as("the 300 with genes").isEqualTo(300);
    assertThat(r.validationLoss()).isFinite();
    assertThat(r.summary()).extractingByKey("training").asString().contains("head=new");
    Path model = folder(r.output()).resolve("model");
    float[] trained = floats(model, "bert.embeddings.word_embeddings.weight");
    float[] tiny = floats(Path.of(MODEL), "bert.embeddings.word_embeddings.weight");
    assertThat(trained).hasSameSizeAs(tiny);
    double sum = 0;
    for (int i = 32; i < trained.length; i++) {
      sum += trained[i] * trained[i];
    }
    assertThat(Math.sqrt(sum / (trained.length - 32)))
        .as("a new model's scale (0.02 at the start; tiny-v2's are 0.3)")
        .isLessThan(0.1);
  }

  private static float[] floats(Path model, String name) {
    FloatBuffer b = WeightsFile.open(model.resolve("model.safetensors")).floats(name);
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void aKilledRunResumesWhereItSavedAndEndsAsAnUninterruptedOne(SparkSession spark)
      throws Exception {
    String runs = tokens(spark, tmp.resolve("runs"), 300, true);
    PretrainResult whole = PretrainJob.run(spark, options(runs, "whole").epochs(3).build());

    // Killed after its second epoch: resumed after it.
    PretrainOptions o = options(runs, "killed").epochs(3).build();
    assertThatThrownBy(() -> killed(spark, FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, 2, o))
        .hasStackTraceContaining("stopped after epoch 2");
    assertThat(tmp.resolve(".killed.cellspark-work/pretrain/state.safetensors")).exists();
    assertThat(tmp.resolve("killed")).doesNotExist();
    PretrainResult resumed = PretrainJob.run(spark, o);
    assertThat(resumed.summary())
        .extractingByKey("training")
        .asString()
        .contains("resumed_after_epoch=2");
    assertThat(resumed.validationLoss()).isCloseTo(whole.validationLoss(), within(1e-5));
    assertThat(resumed.validationAccuracy()).isEqualTo(whole.validationAccuracy());

    // Saving within epochs (here after every step), killed half-way through the second epoch:
    // resumed at the next step of that epoch.
    int batches =
        new ObjectMapper()
            .valueToTree(whole.summary())
            .path("training")
            .path("batches_per_epoch")
            .asInt();
    assertThat(batches).isGreaterThan(3);
    int stop = batches + batches / 2;
    PretrainOptions within = options(runs, "within").epochs(3).checkpointMinutes(1e-9).build();
    assertThatThrownBy(() -> killed(spark, FaultInjection.STOP_FINETUNE_AFTER_STEPS, stop, within))
        .hasStackTraceContaining("stopped after step " + stop);
    WeightsFile state =
        WeightsFile.open(tmp.resolve(".within.cellspark-work/pretrain/state.safetensors"));
    JsonNode saved = new ObjectMapper().readTree(state.metadata().get("cellspark_state"));
    assertThat(saved.path("epochs").size()).isEqualTo(1);
    assertThat(saved.path("current_epoch").path("batches").asInt()).isEqualTo(batches / 2);
    PretrainResult resumedWithin = PretrainJob.run(spark, within);
    assertThat(resumedWithin.validationLoss()).isCloseTo(whole.validationLoss(), within(1e-5));
    assertThat(resumedWithin.validationAccuracy()).isEqualTo(whole.validationAccuracy());
  }

  /**
   * --data-parallel 2: two workers (here two tasks of the test's local[2] session, joined by a ring
   * on the loopback) train the model one task accumulating two batches a step trains, dropout and
   * masked genes included (each batch draws its masks by its place in the step, wherever it is
   * computed). Worker 0 killed after its second epoch, Spark runs the barrier stage again (no rerun
   * command), both workers resume from worker 0's state, and the run ends as the uninterrupted one.
   */
  @Test
  void twoDataParallelWorkersTrainWhatOneAccumulatingTwoBatchesTrains(SparkSession spark)
      throws Exception {
    String runs = tokens(spark, tmp.resolve("runs"), 300, true);
    PretrainResult alone =
        PretrainJob.run(
            spark, options(runs, "alone").epochs(3).dropout(0.1).gradientAccumulation(2).build());
    PretrainOptions parallel =
        options(runs, "parallel").epochs(3).dropout(0.1).dataParallel(2).build();
    PretrainResult both = PretrainJob.run(spark, parallel);
    assertThat(both.summary()).extractingByKey("options").asString().contains("data_parallel=2");
    assertThat(new ObjectMapper().valueToTree(both.summary()).path("training").path("trained_on"))
        .as("where each worker trained")
        .hasSize(2);
    assertThat(
            new ObjectMapper()
                .valueToTree(both.summary())
                .path("training")
                .path("gradient_sum_seconds"))
        .as("each worker's seconds in the gradients' sums")
        .hasSize(2);
    assertThat(
            new ObjectMapper()
                .valueToTree(alone.summary())
                .path("training")
                .has("gradient_sum_seconds"))
        .isFalse();
    assertThat(both.validationLoss()).isCloseTo(alone.validationLoss(), within(1e-6));
    assertThat(both.validationAccuracy()).isEqualTo(alone.validationAccuracy());
    assertSameModel(
        folder(both.output()).resolve("model"), folder(alone.output()).resolve("model"));
    List<String> curve = Files.readAllLines(folder(both.output()).resolve("training.csv"));
    List<String> aloneCurve = Files.readAllLines(folder(alone.output()).resolve("training.csv"));
    assertThat(curve).hasSameSizeAs(aloneCurve).hasSize(5);
    for (int i = 1; i < curve.size(); i++) {
      String[] mine = curve.get(i).split(",");
      String[] theirs = aloneCurve.get(i).split(",");
      for (int c = 1; c < mine.length; c++) {
        if (!mine[c].isEmpty() || !theirs[c].isEmpty()) {
          assertThat(Double.parseDouble(mine[c]))
              .as("training.csv line %d column %d", i, c)
              .isCloseTo(Double.parseDouble(theirs[c]), within(1e-5));
        }
      }
    }

    // Worker 0 fails after its second epoch's state: Spark runs both workers again, and they
    // resume from that state within the same job.
    PretrainOptions killed = options(runs, "killed").epochs(3).dropout(0.1).dataParallel(2).build();
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "2");
    PretrainResult resumed;
    try {
      resumed = PretrainJob.run(spark, killed);
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    assertThat(resumed.summary())
        .extractingByKey("training")
        .asString()
        .contains("resumed_after_epoch=2");
    assertThat(resumed.validationLoss()).isCloseTo(both.validationLoss(), within(1e-6));
    assertSameModel(
        folder(resumed.output()).resolve("model"), folder(both.output()).resolve("model"));
  }

  /** Every weight of two model/ folders within 1e-6. */
  private static void assertSameModel(Path model, Path other) {
    WeightsFile a = WeightsFile.open(model.resolve("model.safetensors"));
    assertThat(a.tensors().keySet())
        .isEqualTo(WeightsFile.open(other.resolve("model.safetensors")).tensors().keySet());
    for (String name : a.tensors().keySet()) {
      float[] mine = floats(model, name);
      float[] theirs = floats(other, name);
      double worst = 0;
      for (int i = 0; i < mine.length; i++) {
        worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
      }
      assertThat(worst).as(name).isLessThan(1e-6);
    }
  }

  /** The job run with a test's kill set in the session. */
  private static void killed(SparkSession spark, String setting, int after, PretrainOptions o) {
    spark.conf().set(setting, Integer.toString(after));
    try {
      PretrainJob.run(spark, o);
    } finally {
      spark.conf().unset(setting);
    }
  }

  @Test
  void samplesTrainingCellsAndFilters(SparkSession spark) {
    String runs = tokens(spark, tmp.resolve("runs"), 300, true);
    PretrainResult sampled =
        PretrainJob.run(
            spark, options(runs, "s").epochs(1).maxCells(100).gradientAccumulation(2).build());
    assertThat(sampled.trainingCells()).isEqualTo(100);
    assertThat(sampled.summary())
        .extractingByKey("options")
        .asString()
        .contains("gradient_accumulation_steps=2");
    assertThat(sampled.validationCells()).isEqualTo(30);
    PretrainResult filtered =
        PretrainJob.run(
            spark,
            options(runs, "f")
                .epochs(1)
                .filters(List.of(CellSelection.Filter.parse("donor=d0")))
                .build());
    assertThat(filtered.validationCells()).as("a tenth of donor d0's 100 cells").isEqualTo(10);
    assertThat(filtered.trainingCells()).isEqualTo(90);
  }

  @Test
  void refusesWhatCannotPretrain(SparkSession spark) {
    String runs = tokens(spark, tmp.resolve("runs"), 300, true);
    assertThatThrownBy(
            () -> options(runs, "o").newModel(Path.of(MODEL, "config.json").toString()).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("give one of --model");
    assertThatThrownBy(() -> options(runs, "o").maskFraction(1).balanced(true).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--mask-fraction must be above 0 and below 1")
        .hasMessageContaining("--class-weights does not apply to pretraining");
    String few = tokens(spark, tmp.resolve("few"), 9, true);
    assertThatThrownBy(() -> PretrainJob.run(spark, options(few, "o").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has 9 cell(s)")
        .hasMessageContaining("needs at least 10");
    assertThatThrownBy(
            () ->
                PretrainJob.run(
                    spark,
                    options(runs, "o").model(Fixtures.vocab("models/tiny-v1").toString()).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not fit the tokens");
    assertThatThrownBy(() -> options(runs, "o").dataParallel(0).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--data-parallel must be 1 to 1024 executors");
    assertThatThrownBy(() -> PretrainJob.run(spark, options(runs, "o").dataParallel(3).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "pretrain --data-parallel 3 needs 3 tasks at once; this local session" + " runs 2");
    assertThat(tmp.resolve("o")).doesNotExist();
  }
}
