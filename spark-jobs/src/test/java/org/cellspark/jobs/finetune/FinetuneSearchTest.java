package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A settings search: every combination a trial in a task of its own, the best validation macro-F1
 * kept. A learning rate too small to learn loses to one that learns; the kept model and predictions
 * are those a single run with the kept settings makes; trials.csv lists every trial.
 */
@ExtendWith(SharedSpark.class)
class FinetuneSearchTest {
  @TempDir Path tmp;

  @Test
  void theBestTrialIsKeptAndEqualsASingleRunWithItsSettings(SparkSession spark) throws Exception {
    FinetuneOptions.Builder options = options(spark, 1200).epochs(6).warmupSteps(20);
    FinetuneOptions search =
        options
            .output(tmp.resolve("search").toString())
            .learningRate(1e-7)
            .search(SettingsSearch.parse(List.of("learning-rate=1e-7,3e-3")))
            .build();
    // Killed after an epoch: each trial's state is in a folder of its own, and the search resumes.
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "2");
    try {
      assertThatThrownBy(() -> FinetuneJob.run(spark, search))
          .hasStackTraceContaining("stopped after epoch 2");
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    // Which trial trains first (one training per JVM at a time) is up to the scheduler.
    assertThat(
            List.of(0, 1).stream()
                .map(t -> tmp.resolve(".search.cellspark-work/trial-" + t + "/state.safetensors"))
                .filter(Files::exists))
        .isNotEmpty();
    assertThat(tmp.resolve("search")).doesNotExist();
    FinetuneResult searched = FinetuneJob.run(spark, search);
    Path out = Path.of(URI.create(searched.output()));
    List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
    assertThat(csv.get(0))
        .isEqualTo("trial,learning-rate,best_epoch,validation_loss,validation_macro_f1,kept");
    assertThat(csv).hasSize(3);
    assertThat(csv.get(1)).as(String.join("\n", csv)).startsWith("0,1e-7,").endsWith(",no");
    assertThat(csv.get(2)).startsWith("1,3e-3,").endsWith(",yes");
    assertThat(out.resolve("model/model.safetensors")).exists();
    assertThat(out.resolve("trials")).doesNotExist();
    assertThat(searched.summary().get("search").toString()).contains("kept_trial=1");

    FinetuneResult single =
        FinetuneJob.run(
            spark,
            options
                .output(tmp.resolve("single").toString())
                .learningRate(3e-3)
                .search(SettingsSearch.none())
                .build());
    assertThat(searched.macroF1()).isEqualTo(single.macroF1()).isGreaterThan(0.8);
    assertSamePredictions(spark, searched, single);
    assertThat(tmp.resolve(".search.cellspark-work")).doesNotExist();
  }

  /**
   * A random search (--search-trials): three learning rates drawn log-uniformly, each a trial;
   * trials.csv gives the values drawn (inside the range, three significant digits) and keeps the
   * trial with the best validation macro-F1, whose predictions are those a single run with that
   * learning rate makes.
   */
  @Test
  void aRandomSearchKeepsItsBestDrawAsASingleRunWithItWouldTrain(SparkSession spark)
      throws Exception {
    FinetuneOptions.Builder options = options(spark, 800).epochs(4).warmupSteps(10);
    FinetuneResult searched =
        FinetuneJob.run(
            spark,
            options
                .output(tmp.resolve("random").toString())
                .search(SettingsSearch.parse(List.of("learning-rate=log:1e-7..3e-3"), 3, 42))
                .build());
    List<String> csv =
        Files.readAllLines(Path.of(URI.create(searched.output())).resolve("trials.csv"));
    assertThat(csv).hasSize(4);
    double best = -1;
    String keptRate = null;
    for (String line : csv.subList(1, 4)) {
      String[] f = line.split(",");
      double rate = Double.parseDouble(f[1]);
      assertThat(rate).as(line).isBetween(1e-7, 3e-3);
      assertThat(new java.math.BigDecimal(f[1]).precision()).isLessThanOrEqualTo(3);
      best = Math.max(best, Double.parseDouble(f[4]));
      if (f[5].equals("yes")) {
        keptRate = f[1];
        assertThat(Double.parseDouble(f[4])).as("the kept trial's macro-F1").isEqualTo(best);
      }
    }
    assertThat(keptRate).as(String.join("\n", csv)).isNotNull();
    for (String line : csv.subList(1, 4)) {
      assertThat(Double.parseDouble(line.split(",")[4])).isLessThanOrEqualTo(best);
    }
    assertThat(searched.summary().get("search").toString())
        .contains("mode=random")
        .contains("learning-rate=log-uniform 1e-7..0.003");

    FinetuneResult single =
        FinetuneJob.run(
            spark,
            options
                .output(tmp.resolve("single").toString())
                .learningRate(Double.parseDouble(keptRate))
                .search(SettingsSearch.none())
                .build());
    assertSamePredictions(spark, searched, single);
  }

  /**
   * {@code cells} V2-style cells of six donors, labelled, and the fine-tune both tests start from.
   */
  private FinetuneOptions.Builder options(SparkSession spark, int cells) {
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), cells);
    return FinetuneOptions.builder()
        .input(tokens)
        .vocabulary(vocabulary)
        .label("label")
        .group("donor")
        .model(Fixtures.vocab("models/tiny-v2").toString())
        .batchTokens(512);
  }

  /** The same cells with the same confidences (within 1e-6) in both runs' predictions. */
  private static void assertSamePredictions(
      SparkSession spark, FinetuneResult searched, FinetuneResult single) {
    Map<String, Double> alone = new HashMap<>();
    spark
        .read()
        .parquet(single.output() + "/predictions")
        .collectAsList()
        .forEach(r -> alone.put(r.getAs("cell_id"), r.getAs("confidence")));
    List<Row> kept = spark.read().parquet(searched.output() + "/predictions").collectAsList();
    assertThat(kept).hasSize(alone.size());
    for (Row r : kept) {
      assertThat(r.<Double>getAs("confidence"))
          .isCloseTo(alone.get(r.<String>getAs("cell_id")), within(1e-6));
    }
  }
}
