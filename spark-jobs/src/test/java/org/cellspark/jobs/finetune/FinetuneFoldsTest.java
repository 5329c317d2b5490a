package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.ClassifierScores;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * finetune --folds: every labelled cell tested once, by the model of the fold that held it (and its
 * whole donor) out. The scores the job reports are recomputed here from its out-of-fold predictions
 * (macro-F1 and ROC AUC by hand), and a fold's model applied to its cells gives them.
 */
@ExtendWith(SharedSpark.class)
class FinetuneFoldsTest {
  @TempDir Path tmp;

  private static FinetuneOptions.Builder options(String tokens, String vocabulary) {
    return FinetuneOptions.builder()
        .input(tokens)
        .vocabulary(vocabulary)
        .label("label")
        .model(Fixtures.vocab("models/tiny-v2").toString())
        .epochs(6)
        .learningRate(3e-3)
        .warmupSteps(20)
        .batchTokens(256);
  }

  @Test
  void everyCellIsTestedOnceByAFoldThatNeverSawItsDonor(SparkSession spark) throws Exception {
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), 1200);
    FinetuneOptions o =
        options(tokens, vocabulary)
            .group("donor")
            .folds(3)
            .output(tmp.resolve("cv").toString())
            .build();
    // Killed after each fold's first epoch: every fold's state is its own, and the run resumes.
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "1");
    try {
      assertThatThrownBy(() -> FinetuneJob.run(spark, o))
          .hasStackTraceContaining("stopped after epoch 1");
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    assertThat(tmp.resolve("cv")).doesNotExist();
    FinetuneResult r = FinetuneJob.run(spark, o);
    Path out = Path.of(URI.create(r.output()));
    assertThat(r.folds()).isEqualTo(3);

    // Each donor's cells are in one fold, tested there and nowhere else, and every fold
    // validated on donors of the other folds.
    Map<String, String[]> splits = new TreeMap<>();
    for (String line : Files.readAllLines(out.resolve("splits.csv")).subList(1, 7)) {
      String[] f = line.split(",");
      splits.put(f[0], f);
    }
    assertThat(splits).hasSize(6);
    for (int fold = 1; fold <= 3; fold++) {
      int k = fold;
      List<String> roles = new ArrayList<>();
      splits.values().forEach(f -> roles.add(f[2 + k]));
      assertThat(roles).contains("test", "validation", "train");
      for (String[] f : splits.values()) {
        assertThat(f[2 + k].equals("test")).isEqualTo(Integer.parseInt(f[2]) == k);
      }
    }
    List<Row> predictions =
        spark.read().parquet(out.resolve("predictions").toString()).collectAsList();
    assertThat(predictions).hasSize(1200);
    assertThat(predictions.stream().map(p -> p.<String>getAs("cell_id")).distinct()).hasSize(1200);
    Map<String, Integer> foldOfDonor = new HashMap<>();
    for (Row p : predictions) {
      String donor = "D" + (1 + Integer.parseInt(p.<String>getAs("cell_id").substring(1)) % 6);
      assertThat(p.<Integer>getAs("fold"))
          .as(donor)
          .isEqualTo(Integer.parseInt(splits.get(donor)[2]));
      foldOfDonor.put(donor, p.getAs("fold"));
    }

    // The scores: recomputed from the predictions, fold by fold.
    List<String> folds = Files.readAllLines(out.resolve("folds.csv"));
    assertThat(folds.get(0))
        .isEqualTo("fold,split,cells,accuracy,macro_f1,loss,roc_auc,best_epoch");
    assertThat(folds).hasSize(1 + 2 * 3);
    double[] f1 = new double[3];
    long[][] confusion = new long[2][2];
    for (int fold = 1; fold <= 3; fold++) {
      List<List<Integer>> labelAndPredicted = new ArrayList<>();
      List<double[]> scoreAndLabel = new ArrayList<>();
      for (Row p : predictions) {
        if (p.<Integer>getAs("fold") == fold) {
          int label = p.<String>getAs("label").equals("top") ? 1 : 0;
          int predicted = p.<String>getAs("predicted").equals("top") ? 1 : 0;
          labelAndPredicted.add(List.of(label, predicted));
          confusion[label][predicted]++;
          scoreAndLabel.add(
              new double[] {p.<Double>getList(p.fieldIndex("probability")).get(1), label});
        }
      }
      String[] test = folds.get(2 * fold).split(",", -1);
      assertThat(test[0] + "," + test[1]).isEqualTo(fold + ",test");
      assertThat(Long.parseLong(test[2])).isEqualTo(labelAndPredicted.size());
      f1[fold - 1] = ClassifierScores.macroF1(labelAndPredicted);
      assertThat(Double.parseDouble(test[4]))
          .as("fold %d macro-F1", fold)
          .isCloseTo(f1[fold - 1], within(1e-6));
      assertThat(Double.parseDouble(test[6]))
          .as("fold %d ROC AUC", fold)
          .isCloseTo(ClassifierScores.mannWhitneyAuc(scoreAndLabel), within(1e-6));
      assertThat(folds.get(2 * fold - 1)).startsWith(fold + ",validation,");
    }
    JsonNode metrics =
        new ObjectMapper()
            .readTree(out.resolve("metrics.json").toFile())
            .get("metrics")
            .get("test");
    double mean = (f1[0] + f1[1] + f1[2]) / 3;
    double sd =
        Math.sqrt(
            ((f1[0] - mean) * (f1[0] - mean)
                    + (f1[1] - mean) * (f1[1] - mean)
                    + (f1[2] - mean) * (f1[2] - mean))
                / 2);
    assertThat(metrics.get("macro_f1_mean").asDouble()).isCloseTo(mean, within(1e-9));
    assertThat(metrics.get("macro_f1_sd").asDouble()).isCloseTo(sd, within(1e-9));
    assertThat(r.macroF1())
        .isCloseTo(mean, within(1e-9))
        .as("the label is learnt: %s", Files.readAllLines(out.resolve("training.csv")))
        .isGreaterThan(0.9);
    assertThat(r.rocAuc())
        .as("%s %s", folds, Files.readAllLines(out.resolve("training.csv")))
        .isGreaterThan(0.95);
    assertThat(Files.readAllLines(out.resolve("confusion_matrix.csv")))
        .containsExactly(
            "true\\predicted,not,top",
            "not," + confusion[0][0] + "," + confusion[0][1],
            "top," + confusion[1][0] + "," + confusion[1][1]);
    for (String f :
        List.of(
            "models/fold-1/model.safetensors",
            "models/fold-2/config.json",
            "models/fold-3/model.safetensors",
            "roc.csv",
            "roc.png",
            "confusion_matrix.png",
            "training.csv",
            "_cellspark.json")) {
      assertThat(out.resolve(f)).as(f).exists();
    }
    assertThat(out.resolve("model")).doesNotExist();
    assertThat(r.summary().get("metrics").toString()).contains("resumed_after_epoch=1");
    assertThat(tmp.resolve(".cv.cellspark-work")).doesNotExist();

    // Fold 2's model, applied to the cells, predicts its test cells as the job reported.
    String applied = tmp.resolve("applied").toString();
    FineTunedApply.run(
        spark,
        new FineTunedApply.Options(
            out.resolve("models/fold-2").toString(), tokens, vocabulary, applied, false));
    Map<String, Row> byCell = new HashMap<>();
    spark
        .read()
        .parquet(applied + "/predictions")
        .collectAsList()
        .forEach(a -> byCell.put(a.getAs("cell_id"), a));
    int checked = 0;
    for (Row p : predictions) {
      if (p.<Integer>getAs("fold") == 2) {
        Row a = byCell.get(p.<String>getAs("cell_id"));
        assertThat(a.<Double>getAs("confidence"))
            .isCloseTo(p.<Double>getAs("confidence"), within(1e-4));
        checked++;
      }
    }
    assertThat(checked).isPositive();
  }

  @Test
  void aSearchInEveryFoldKeepsEachFoldsBestTrial(SparkSession spark) throws Exception {
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(
            spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), 600);
    FinetuneResult r =
        FinetuneJob.run(
            spark,
            options(tokens, vocabulary)
                .folds(2)
                .search(SettingsSearch.parse(List.of("learning-rate=1e-7,3e-3")))
                .output(tmp.resolve("nested").toString())
                .build());
    Path out = Path.of(URI.create(r.output()));
    List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
    assertThat(csv.get(0))
        .isEqualTo("fold,trial,learning-rate,best_epoch,validation_loss,validation_macro_f1,kept");
    assertThat(csv.subList(1, 5))
        .as(String.join("\n", csv))
        .satisfiesExactly(
            l -> assertThat(l).startsWith("1,0,1e-7,").endsWith(",no"),
            l -> assertThat(l).startsWith("1,1,3e-3,").endsWith(",yes"),
            l -> assertThat(l).startsWith("2,0,1e-7,").endsWith(",no"),
            l -> assertThat(l).startsWith("2,1,3e-3,").endsWith(",yes"));
    assertThat(out.resolve("models/fold-1/model.safetensors")).exists();
    assertThat(out.resolve("models/fold-2/model.safetensors")).exists();
    assertThat(out.resolve("trials")).doesNotExist();
    assertThat(r.summary().get("search").toString()).contains("kept_trial_per_fold=[1, 1]");
    // Cells by hash: each once, the folds near halves.
    List<Row> predictions =
        spark.read().parquet(out.resolve("predictions").toString()).collectAsList();
    assertThat(predictions).hasSize(600);
    long first = predictions.stream().filter(p -> p.<Integer>getAs("fold") == 1).count();
    assertThat(first).isBetween(240L, 360L);
  }

  @Test
  void foldsAndSplitsThatCannotBeMadeAreRefused(SparkSession spark) throws Exception {
    assertThatThrownBy(() -> options("t", "v").output("o").folds(21).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds must be 0 or 1 (one split) or from 2 to 20");
    assertThatThrownBy(
            () ->
                options("t", "v")
                    .output("o")
                    .folds(10)
                    .search(
                        SettingsSearch.parse(List.of("learning-rate=1,2,3", "weight-decay=0,1,2")))
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("makes 90 trainings; at most 64");
    assertThat(options("t", "v").output("o").folds(1).build().folds())
        .as("upstream's num_crossval_splits=1: one split")
        .isZero();

    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    String tokens =
        FinetuneJobTest.tokens(spark, VocabularyLoader.load(vocabulary), tmp.resolve("tokens"), 60);
    assertThatThrownBy(
            () ->
                FinetuneJob.run(
                    spark,
                    options(tokens, vocabulary)
                        .group("donor")
                        .folds(7)
                        .minClassSize(1)
                        .output(tmp.resolve("a").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--group donor has 6 distinct value(s); --folds 7 needs at least 7");
    assertThatThrownBy(
            () ->
                FinetuneJob.run(
                    spark,
                    options(tokens, vocabulary)
                        .folds(20)
                        .minClassSize(1)
                        .output(tmp.resolve("b").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds 20: fold ")
        .hasMessageContaining("cells");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();

    // Given splits: not with --folds; and read through finetune (their column as --group), a
    // file without validation groups is refused before any training.
    assertThatThrownBy(() -> options("t", "v").output("o").folds(3).splitGroups("s.json").build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds and --split-groups: give one");
    Path dict = tmp.resolve("split.json");
    Files.writeString(
        dict, "{\"attr_key\": \"donor\", \"train\": [\"D1\", \"D2\"], \"test\": [\"D3\"]}");
    assertThatThrownBy(
            () ->
                FinetuneJob.run(
                    spark,
                    options(tokens, vocabulary)
                        .minClassSize(1)
                        .splitGroups(dict.toString())
                        .output(tmp.resolve("c").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageMatching(
            "(?s).*--label label of .* leaves \\d+ training and 0 validation cells.*");
    assertThat(tmp.resolve("c")).doesNotExist();
  }
}
