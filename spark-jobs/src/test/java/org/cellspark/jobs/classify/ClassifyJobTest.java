package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.testing.ClassifierScores;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classifiers on embeddings of a synthetic atlas (fixtures/atlas/classify_atlas.h5ad: 600 cells of
 * four cell types, each with a 150-gene programme, six donors; made by
 * src/test/python/make_classify_atlas.py), embedded with a tiny random model over Geneformer V1's
 * vocabulary. The types are separable in those embeddings (a scikit-learn logistic regression on
 * the same construction reaches 0.99), so a classifier must find them; a label with no relation to
 * the cells must stay at chance.
 */
@ExtendWith(SharedSpark.class)
class ClassifyJobTest {
  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String embeddings;

  @BeforeAll
  static void embed(SparkSession spark) {
    String tokens = shared.resolve("tokens").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(Fixtures.atlas("classify_atlas.h5ad").toString())
            .vocabulary("builtin:geneformer-v1")
            .minGeneMatch(0.1)
            .attribute("cell_type")
            .attribute("donor")
            .output(tokens)
            .build());
    embeddings =
        EmbedJob.run(
                spark,
                EmbedOptions.of(
                    tokens,
                    Fixtures.repositoryRoot()
                        .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
                        .toString(),
                    shared.resolve("emb").toString()))
            .output();
    // A label unrelated to the cells: the parity of a hash of the cell id.
    spark
        .read()
        .parquet(embeddings + "/cells")
        .withColumn("coin", org.apache.spark.sql.functions.expr("pmod(hash(cell_id), 2)"))
        .write()
        .parquet(shared.resolve("emb-coin").toString());
  }

  private static JsonNode json(Path p) throws IOException {
    return new ObjectMapper().readTree(p.toFile());
  }

  private static Path folder(ClassifyResult r) {
    return Path.of(java.net.URI.create(r.output()));
  }

  @Test
  void cellTypesAreFoundAndDonorsNeverCrossSplits(SparkSession spark) throws IOException {
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.of(embeddings, "cell_type", "donor", tmp.resolve("clf").toString()));
    assertThat(r.classes()).containsExactly("B cell", "NK cell", "T cell", "monocyte");
    assertThat((Double) r.test().get("accuracy")).isGreaterThan(0.95);
    assertThat((Double) r.test().get("macro_f1")).isGreaterThan(0.95);

    Dataset<Row> predictions = spark.read().parquet(r.output() + "/predictions");
    assertThat(predictions.count()).isEqualTo(600);
    // Every donor on one side only, and every split used.
    assertThat(
            predictions
                .groupBy("donor")
                .agg(countDistinct("split").as("n"))
                .filter(col("n").gt(1))
                .count())
        .isZero();
    assertThat(
            predictions.select("split").distinct().collectAsList().stream()
                .map(x -> x.getString(0)))
        .containsExactlyInAnyOrder("train", "validation", "test");

    // The reported metrics, recomputed from the predictions.
    List<Row> test =
        predictions
            .filter(col("split").equalTo("test"))
            .select("cell_type", "predicted")
            .collectAsList();
    long right = test.stream().filter(x -> x.getString(0).equals(x.getString(1))).count();
    assertThat((Double) r.test().get("accuracy"))
        .isCloseTo(right / (double) test.size(), within(1e-12));
    JsonNode metrics = json(folder(r).resolve("metrics.json")).get("metrics");
    for (JsonNode c : metrics.get("splits").get("test").get("per_class")) {
      String label = c.get("class").asText();
      long support = test.stream().filter(x -> x.getString(0).equals(label)).count();
      long hit =
          test.stream()
              .filter(x -> x.getString(0).equals(label) && x.getString(1).equals(label))
              .count();
      long predicted = test.stream().filter(x -> x.getString(1).equals(label)).count();
      assertThat(c.get("support").asLong()).isEqualTo(support);
      assertThat(c.get("recall").asDouble()).isCloseTo(hit / (double) support, within(1e-12));
      assertThat(c.get("precision").asDouble())
          .isCloseTo(predicted == 0 ? 0 : hit / (double) predicted, within(1e-12));
    }
    long inJson = 0;
    for (JsonNode row : metrics.get("splits").get("test").get("confusion_matrix")) {
      for (JsonNode n : row) {
        inJson += n.asLong();
      }
    }
    assertThat(inJson).isEqualTo(test.size());
    List<String> confusion = Files.readAllLines(folder(r).resolve("confusion_matrix.csv"));
    assertThat(confusion.get(0)).isEqualTo("true\\predicted,B cell,NK cell,T cell,monocyte");
    long sum =
        confusion.stream()
            .skip(1)
            .flatMap(l -> java.util.Arrays.stream(l.split(",")).skip(1))
            .mapToLong(Long::parseLong)
            .sum();
    assertThat(sum).isEqualTo(test.size());
    BufferedImage png = ImageIO.read(folder(r).resolve("confusion_matrix.png").toFile());
    assertThat(png.getWidth()).isGreaterThan(400);
    assertThat(Files.readAllLines(folder(r).resolve("splits.csv")))
        .hasSize(7)
        .first()
        .isEqualTo("group,split,cells");

    // The saved model labels cells as the training run did.
    // With --label, scored against the cells' types: metrics recomputed by hand.
    String applied = tmp.resolve("applied").toString();
    assertThat(
            ClassifierApply.run(
                    spark,
                    new ClassifierApply.Options(
                        r.output(), embeddings, applied, false, "cell_type"))
                .cells())
        .isEqualTo(600);
    List<List<String>> pairs =
        spark
            .read()
            .parquet(applied + "/predictions")
            .select("cell_type", "predicted")
            .collectAsList()
            .stream()
            .map(x -> List.of(x.getString(0), x.getString(1)))
            .toList();
    JsonNode scored = new ObjectMapper().readTree(Path.of(applied, "metrics.json").toFile());
    assertThat(scored.get("cells_scored").asLong()).isEqualTo(600);
    assertThat(scored.get("accuracy").asDouble())
        .isCloseTo(ClassifierScores.accuracy(pairs), within(1e-9));
    assertThat(scored.get("macro_f1").asDouble())
        .isCloseTo(ClassifierScores.macroF1(pairs), within(1e-9));
    assertThat(scored.has("roc_auc")).as("four classes: no ROC curve").isFalse();
    List<String> matrix = Files.readAllLines(Path.of(applied, "confusion_matrix.csv"));
    String firstType = scored.get("classes").get(0).asText();
    long firstRight =
        pairs.stream()
            .filter(p -> p.get(0).equals(firstType) && p.get(1).equals(firstType))
            .count();
    assertThat(matrix.get(1)).startsWith(firstType + "," + firstRight + ",");
    Map<String, String> before =
        predictions.select("cell_id", "predicted").collectAsList().stream()
            .collect(Collectors.toMap(x -> x.getString(0), x -> x.getString(1)));
    Map<String, String> after =
        spark
            .read()
            .parquet(applied + "/predictions")
            .select("cell_id", "predicted")
            .collectAsList()
            .stream()
            .collect(Collectors.toMap(x -> x.getString(0), x -> x.getString(1)));
    assertThat(after).isEqualTo(before);
  }

  @Test
  void givenSplitsPutEachDonorWhereTheFileSaysAndTheRunsSplitsCsvRepeatsThem(SparkSession spark)
      throws IOException {
    // Upstream's split_id_dict as JSON: D6 not listed (its cells left out), D9 listed but absent.
    Path dict = tmp.resolve("split_id_dict.json");
    Files.writeString(
        dict,
        "{\"attr_key\": \"donor\", \"train\": [\"D1\", \"D2\", \"D3\"], \"eval\": [\"D4\"],"
            + " \"test\": [\"D5\", \"D9\"]}");
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.builder()
                .embeddings(embeddings)
                .label("cell_type")
                .output(tmp.resolve("given").toString())
                .splitGroups(dict.toString())
                .build());
    Map<String, String> expected =
        Map.of("D1", "train", "D2", "train", "D3", "train", "D4", "validation", "D5", "test");
    List<Row> predictions =
        spark.read().parquet(r.output() + "/predictions").select("donor", "split").collectAsList();
    long d6 =
        spark.read().parquet(embeddings + "/cells").filter(col("donor").equalTo("D6")).count();
    assertThat(d6).isPositive();
    assertThat(predictions).hasSize(600 - (int) d6);
    for (Row p : predictions) {
      assertThat(p.getString(1)).as(p.getString(0)).isEqualTo(expected.get(p.getString(0)));
    }
    JsonNode split = json(folder(r).resolve("_cellspark.json")).get("split");
    assertThat(split.get("cells_in_groups_not_listed").asLong()).isEqualTo(d6);
    assertThat(split.get("listed_groups_without_cells").toString()).isEqualTo("[\"D9\"]");
    assertThat(split.get("by").asText()).contains("group column donor").contains(dict.toString());

    // The run's splits.csv, given back with --group, makes the same split.
    ClassifyResult again =
        ClassifyJob.run(
            spark,
            ClassifyOptions.builder()
                .embeddings(embeddings)
                .label("cell_type")
                .group("donor")
                .output(tmp.resolve("again").toString())
                .splitGroups(folder(r).resolve("splits.csv").toString())
                .build());
    assertThat(
            spark
                .read()
                .parquet(again.output() + "/predictions")
                .select("cell_id", "split")
                .exceptAll(
                    spark.read().parquet(r.output() + "/predictions").select("cell_id", "split"))
                .count())
        .isZero();
    assertThat(again.test().get("cells")).isEqualTo(r.test().get("cells"));
    assertThat(again.test().get("macro_f1")).isEqualTo(r.test().get("macro_f1"));
    // A file whose column is not --group's is refused before anything is written.
    assertThatThrownBy(
            () ->
                ClassifyJob.run(
                    spark,
                    ClassifyOptions.builder()
                        .embeddings(embeddings)
                        .label("cell_type")
                        .group("cell_type")
                        .output(tmp.resolve("clash").toString())
                        .splitGroups(dict.toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--group cell_type, but --split-groups");
    assertThat(tmp.resolve("clash")).doesNotExist();
  }

  @Test
  void balancedSplitsKeepTheDonorsAgesAndSexesAlikeOnEverySide(SparkSession spark)
      throws IOException {
    // Donor attributes: ages in two clusters (young D1-D3, old D4-D6), sexes alternating.
    String withDonors = tmp.resolve("donors").toString();
    spark
        .read()
        .parquet(embeddings + "/cells")
        .withColumn(
            "age",
            org.apache.spark.sql.functions.expr(
                "CASE donor WHEN 'D1' THEN 20 WHEN 'D2' THEN 24 WHEN 'D3' THEN 31"
                    + " WHEN 'D4' THEN 70 WHEN 'D5' THEN 75 ELSE 80 END"))
        .withColumn(
            "sex",
            org.apache.spark.sql.functions.expr(
                "CASE WHEN donor IN ('D1', 'D3', 'D5') THEN 'F' ELSE 'M' END"))
        .write()
        .parquet(withDonors);
    Map<String, Integer> age = Map.of("D1", 20, "D2", 24, "D3", 31, "D4", 70, "D5", 75, "D6", 80);
    Balance balance = new Balance(List.of("age", "sex"), 100, 0.2);
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.builder()
                .embeddings(withDonors)
                .label("cell_type")
                .group("donor")
                .balance(balance)
                .output(tmp.resolve("balanced").toString())
                .build());
    JsonNode taken = json(folder(r).resolve("_cellspark.json")).get("split").get("balance");
    assertThat(taken.get("every_p_reached_min").asBoolean()).isTrue();
    int trial = taken.get("trial_taken").asInt();
    assertThat(trial).as("the seed's own split is not balanced: others were tried").isPositive();
    assertThat(taken.get("seed_taken").asLong()).isEqualTo(42 + trial);
    List<String> csv = Files.readAllLines(folder(r).resolve("balance.csv"));
    assertThat(csv.get(0))
        .isEqualTo(
            "trial,age_train,age_validation,age_test,age_validation_p,age_test_p,"
                + "sex_train,sex_validation,sex_test,sex_validation_p,sex_test_p,mean_p");
    assertThat(csv).hasSize(trial + 2);
    for (int t = 0; t <= trial; t++) {
      String[] f = csv.get(t + 1).split(",");
      double least =
          Math.min(
              Math.min(Double.parseDouble(f[4]), Double.parseDouble(f[5])),
              Math.min(Double.parseDouble(f[9]), Double.parseDouble(f[10])));
      if (t == trial) {
        assertThat(least).as(csv.get(t + 1)).isGreaterThanOrEqualTo(0.2);
      } else {
        assertThat(least).as(csv.get(t + 1)).isLessThan(0.2);
      }
    }
    // The taken split's p-values, recomputed from splits.csv: the rank-sum test's normal
    // approximation and the chi-square test of the sexes' counts, by hand.
    Map<String, List<String>> bySplit = new java.util.TreeMap<>();
    for (String line : Files.readAllLines(folder(r).resolve("splits.csv")).subList(1, 7)) {
      String[] f = line.split(",");
      bySplit.computeIfAbsent(f[1], k -> new java.util.ArrayList<>()).add(f[0]);
    }
    List<String> train = bySplit.get("train");
    String[] last = csv.get(trial + 1).split(",");
    for (String[] side : new String[][] {{"validation", "4", "9"}, {"test", "5", "10"}}) {
      List<String> held = bySplit.get(side[0]);
      assertThat(Double.parseDouble(last[Integer.parseInt(side[1])]))
          .as("age p, %s", side[0])
          .isCloseTo(rankSumP(train, held, age), within(1e-6));
      assertThat(Double.parseDouble(last[Integer.parseInt(side[2])]))
          .as("sex p, %s", side[0])
          .isCloseTo(chiSquareP(train, held), within(1e-6));
    }
    // An attribute of cells, not donors, is refused naming the donor.
    assertThatThrownBy(
            () ->
                ClassifyJob.run(
                    spark,
                    ClassifyOptions.builder()
                        .embeddings(withDonors)
                        .label("cell_type")
                        .group("donor")
                        .balance(new Balance(List.of("cell_type"), 10, 0.1))
                        .output(tmp.resolve("cells").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--balance cell_type: group D")
        .hasMessageContaining("has 4 values of cell_type")
        .hasMessageContaining("one value per group");
    assertThat(tmp.resolve("cells")).doesNotExist();
    assertThatThrownBy(
            () ->
                ClassifyOptions.builder()
                    .embeddings(withDonors)
                    .label("cell_type")
                    .balance(balance)
                    .output("o")
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--balance needs --group");
  }

  /** Wilcoxon's rank-sum test, normal approximation (ranks of distinct ages: no ties). */
  private static double rankSumP(List<String> train, List<String> held, Map<String, Integer> age) {
    List<Integer> all = new java.util.ArrayList<>();
    train.forEach(d -> all.add(age.get(d)));
    held.forEach(d -> all.add(age.get(d)));
    java.util.Collections.sort(all);
    double rankSum = 0;
    for (String d : held) {
      rankSum += all.indexOf(age.get(d)) + 1;
    }
    double n1 = held.size();
    double n2 = train.size();
    double z = (rankSum - n1 * (n1 + n2 + 1) / 2) / Math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12);
    return org.apache.commons.math3.special.Erf.erfc(Math.abs(z) / Math.sqrt(2));
  }

  /** Pearson's chi-square test of independence, 2 sides x 2 sexes, from the donors' counts. */
  private static double chiSquareP(List<String> train, List<String> held) {
    java.util.function.Predicate<String> female = d -> List.of("D1", "D3", "D5").contains(d);
    double[][] o = {
      {train.stream().filter(female).count(), train.stream().filter(female.negate()).count()},
      {held.stream().filter(female).count(), held.stream().filter(female.negate()).count()}
    };
    double n = o[0][0] + o[0][1] + o[1][0] + o[1][1];
    if (o[0][0] + o[1][0] == 0 || o[0][1] + o[1][1] == 0) {
      return 1;
    }
    double chi = 0;
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        double e = (o[i][0] + o[i][1]) * (o[0][j] + o[1][j]) / n;
        chi += (o[i][j] - e) * (o[i][j] - e) / e;
      }
    }
    return org.apache.commons.math3.special.Erf.erfc(Math.sqrt(chi / 2));
  }

  @Test
  void anUnrelatedLabelStaysAtChance(SparkSession spark) {
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.of(
                    shared.resolve("emb-coin").toString(),
                    "coin",
                    "donor",
                    tmp.resolve("coin").toString())
                .withClassifier(ClassifierKind.RANDOM_FOREST));
    assertThat((Double) r.test().get("accuracy")).isBetween(0.3, 0.7);
  }

  /**
   * Without --group cells are split one by one, here stratified by cell type (upstream's
   * stratify_splits_col): each type's cells in the split's shares to a cell, where a hash alone
   * leaves them to chance; the smallest class, below --min-class-size, is left out.
   */
  @Test
  void mlpWithoutGroupsStratifiedAndRareClassesLeftOut(SparkSession spark) {
    Row smallest =
        spark
            .read()
            .parquet(embeddings + "/cells")
            .groupBy("cell_type")
            .count()
            .orderBy("count")
            .first();
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.of(embeddings, "cell_type", null, tmp.resolve("mlp").toString())
                .toBuilder()
                .stratify("cell_type")
                .build()
                .withClassifier(ClassifierKind.MLP)
                .withRareClasses(smallest.getLong(1) + 1, 0));
    assertThat(r.classes()).hasSize(3).doesNotContain(smallest.getString(0));
    assertThat(r.summary())
        .extractingByKey("classes")
        .asString()
        .contains("dropped_rare={" + smallest.getString(0) + "=" + smallest.getLong(1) + "}");
    assertThat((Double) r.test().get("accuracy")).isGreaterThan(0.95);
    Map<String, Map<String, Long>> perType = new TreeMap<>();
    spark
        .read()
        .parquet(r.output() + "/predictions")
        .groupBy("cell_type", "split")
        .count()
        .collectAsList()
        .forEach(
            row ->
                perType
                    .computeIfAbsent(row.getString(0), k -> new TreeMap<>())
                    .put(row.getString(1), row.getLong(2)));
    assertThat(perType).hasSize(3);
    perType.forEach(
        (type, splits) -> {
          long n = splits.values().stream().mapToLong(Long::longValue).sum();
          assertThat((double) splits.get("train")).as(type).isCloseTo(0.8 * n, offset(1.0));
          assertThat((double) splits.get("validation")).as(type).isCloseTo(0.1 * n, offset(1.0));
          assertThat((double) splits.get("test")).as(type).isCloseTo(0.1 * n, offset(1.0));
        });
    assertThat(r.summary().get("split").toString()).contains("stratified by cell_type");
  }

  /**
   * classify --folds 3 --group donor on a two-class label: every cell tested once, in its donor's
   * fold; each fold's test accuracy, macro-F1 and ROC AUC (the chance that a cell of the second
   * class outscores one of the first) recomputed by hand from the predictions equal folds.csv,
   * their mean and sample SD metrics.json, their pooled counts the confusion matrix; a fold's model
   * under classify apply gives its test cells the predictions the fold wrote.
   */
  @Test
  void crossValidationTestsEveryCellOnceInItsDonorsFold(SparkSession spark) throws IOException {
    String first =
        spark
            .read()
            .parquet(embeddings + "/cells")
            .select("cell_type")
            .orderBy("cell_type")
            .first()
            .getString(0);
    String binary = tmp.resolve("binary").toString();
    spark
        .read()
        .parquet(embeddings + "/cells")
        .withColumn(
            "kind",
            org.apache
                .spark
                .sql
                .functions
                .when(col("cell_type").equalTo(first), "a")
                .otherwise("b"))
        .write()
        .parquet(binary);
    ClassifyResult r =
        ClassifyJob.run(
            spark,
            ClassifyOptions.builder()
                .embeddings(binary)
                .label("kind")
                .group("donor")
                .folds(3)
                .output(tmp.resolve("cv").toString())
                .build());
    assertThat(r.folds()).isEqualTo(3);
    Path out = folder(r);
    List<Row> predictions =
        spark.read().parquet(out.resolve("predictions").toString()).collectAsList();
    assertThat(predictions).hasSize(600);
    assertThat(predictions.stream().map(p -> p.<String>getAs("cell_id")).distinct()).hasSize(600);
    Map<String, Set<Integer>> foldsOfDonor = new TreeMap<>();
    predictions.forEach(
        p ->
            foldsOfDonor
                .computeIfAbsent(p.getAs("donor"), k -> new TreeSet<>())
                .add(p.<Integer>getAs("fold")));
    assertThat(foldsOfDonor).hasSize(6);
    foldsOfDonor.forEach((donor, f) -> assertThat(f).as(donor).hasSize(1));
    List<String> folds = Files.readAllLines(out.resolve("folds.csv"));
    assertThat(folds.get(0)).isEqualTo("fold,split,cells,accuracy,macro_f1,roc_auc,chosen");
    assertThat(folds).hasSize(1 + 2 * 3);
    double[] f1 = new double[3];
    Map<String, Long> pooled = new TreeMap<>();
    for (int fold = 1; fold <= 3; fold++) {
      List<List<String>> pairs = new ArrayList<>();
      List<double[]> scoreAndLabel = new ArrayList<>();
      for (Row p : predictions) {
        if (p.<Integer>getAs("fold") == fold) {
          pairs.add(List.of(p.getAs("kind"), p.getAs("predicted")));
          pooled.merge(p.getAs("kind") + "->" + p.getAs("predicted"), 1L, Long::sum);
          scoreAndLabel.add(
              new double[] {
                p.<Double>getList(p.fieldIndex("probability")).get(1),
                p.getAs("kind").equals("b") ? 1 : 0
              });
        }
      }
      String[] test = folds.get(2 * fold).split(",", -1);
      assertThat(test[0] + "," + test[1]).isEqualTo(fold + ",test");
      assertThat(Long.parseLong(test[2])).isEqualTo(pairs.size());
      assertThat(Double.parseDouble(test[3]))
          .isCloseTo(ClassifierScores.accuracy(pairs), within(1e-6));
      f1[fold - 1] = ClassifierScores.macroF1(pairs);
      assertThat(Double.parseDouble(test[4]))
          .as("fold %d macro-F1", fold)
          .isCloseTo(f1[fold - 1], within(1e-6));
      assertThat(Double.parseDouble(test[5]))
          .as("fold %d ROC AUC", fold)
          .isCloseTo(ClassifierScores.mannWhitneyAuc(scoreAndLabel), within(1e-6));
      assertThat(folds.get(2 * fold - 1)).startsWith(fold + ",validation,");
    }
    JsonNode metrics = json(out.resolve("metrics.json")).path("metrics");
    org.apache.commons.math3.stat.descriptive.SummaryStatistics f1s =
        new org.apache.commons.math3.stat.descriptive.SummaryStatistics();
    for (double f : f1) {
      f1s.addValue(f);
    }
    assertThat(metrics.path("test").path("macro_f1_mean").asDouble())
        .isCloseTo(f1s.getMean(), within(1e-9));
    assertThat(metrics.path("test").path("macro_f1_sd").asDouble())
        .isCloseTo(f1s.getStandardDeviation(), within(1e-9));
    assertThat(f1s.getMean()).as("the cell type is learnt").isGreaterThan(0.9);
    assertThat(r.test()).containsKey("roc_auc_mean");
    List<String> matrix = Files.readAllLines(out.resolve("confusion_matrix.csv"));
    String[] header = matrix.get(0).split(",");
    for (String line : matrix.subList(1, matrix.size())) {
      String[] cells = line.split(",");
      for (int j = 1; j < cells.length; j++) {
        assertThat(Long.parseLong(cells[j]))
            .isEqualTo(pooled.getOrDefault(cells[0] + "->" + header[j], 0L));
      }
    }
    assertThat(out.resolve("roc.csv")).exists();
    assertThat(out.resolve("roc.png")).exists();

    // Fold 2's model labels its own test cells as the fold did.
    String applied = tmp.resolve("cv-applied").toString();
    ClassifierApply.run(
        spark,
        new ClassifierApply.Options(
            out.resolve("models/fold-2").toString(), binary, applied, false));
    Map<String, Row> byCell = new java.util.HashMap<>();
    spark
        .read()
        .parquet(applied + "/predictions")
        .collectAsList()
        .forEach(p -> byCell.put(p.getAs("cell_id"), p));
    for (Row p : predictions) {
      if (p.<Integer>getAs("fold") == 2) {
        Row a = byCell.get(p.<String>getAs("cell_id"));
        assertThat(a.<String>getAs("predicted")).isEqualTo(p.<String>getAs("predicted"));
        assertThat(a.<Double>getAs("confidence"))
            .isCloseTo(p.<Double>getAs("confidence"), within(1e-9));
      }
    }
  }

  @Test
  void badRequestsAreRefusedWithWhatToDo(SparkSession spark) throws IOException {
    assertThatThrownBy(
            () ->
                ClassifyJob.run(
                    spark,
                    ClassifyOptions.of(embeddings, "disease", null, tmp.resolve("a").toString())))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no column 'disease'");
    assertThatThrownBy(
            () ->
                ClassifyJob.run(
                    spark,
                    ClassifyOptions.of(
                            embeddings, "cell_type", "cell_type", tmp.resolve("b").toString())
                        .withSplit(new double[] {0.8, 0.1, 0.1}, 1)
                        .withRareClasses(0, 0.3)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has 0 class(es) with enough cells");
    assertThatThrownBy(
            () ->
                ClassifyOptions.of(embeddings, "cell_type", null, "x")
                    .withSplit(new double[] {0.5, 0.1, 0.1}, 1))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--split");
    assertThatThrownBy(
            () ->
                ClassifyOptions.of(embeddings, "cell_type", null, "x").toBuilder()
                    .folds(30)
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds must be 0 or 1 (one split) or from 2 to 20");
    assertThatThrownBy(
            () ->
                ClassifyOptions.of(embeddings, "cell_type", "donor", "x").toBuilder()
                    .folds(3)
                    .splitGroups("split.json")
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--folds and --split-groups: give one");
    // Six donors cannot fill seven folds.
    assertThatThrownBy(
            () ->
                ClassifyJob.run(
                    spark,
                    ClassifyOptions.of(
                            embeddings, "cell_type", "donor", tmp.resolve("f").toString())
                        .toBuilder()
                        .folds(7)
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--group donor");
    assertThat(tmp.resolve("f")).doesNotExist();
    assertThatThrownBy(
            () ->
                ClassifierApply.run(
                    spark,
                    new ClassifierApply.Options(
                        embeddings, embeddings, tmp.resolve("c").toString(), false)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds no MLlib model");
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }
}
