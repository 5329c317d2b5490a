package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    String applied = tmp.resolve("applied").toString();
    assertThat(
            ClassifierApply.run(
                spark, new ClassifierApply.Options(r.output(), embeddings, applied, false)))
        .isEqualTo(600);
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

  @Test
  void mlpWithoutGroupsAndRareClassesLeftOut(SparkSession spark) {
    // Without --group cells are split one by one; the smallest class, below --min-class-size, is
    // left out.
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
                .withClassifier(ClassifierKind.MLP)
                .withRareClasses(smallest.getLong(1) + 1, 0));
    assertThat(r.classes()).hasSize(3).doesNotContain(smallest.getString(0));
    assertThat(r.summary())
        .extractingByKey("classes")
        .asString()
        .contains("dropped_rare={" + smallest.getString(0) + "=" + smallest.getLong(1) + "}");
    assertThat((Double) r.test().get("accuracy")).isGreaterThan(0.95);
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
