package org.cellspark.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TwoStateEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class ClassifyCommandTest {
  @TempDir Path tmp;

  /** Any Parquet table with an embedding column will do: two clusters of cells, eight donors. */
  private String embeddings(SparkSession spark) {
    return TwoStateEmbeddings.write(spark, tmp.resolve("emb"));
  }

  @Test
  void trainThenApply(SparkSession spark) throws java.io.IOException {
    String emb = embeddings(spark);
    String clf = tmp.resolve("clf").toString();
    CliRun train =
        CliRun.of(
            "classify",
            "--embeddings",
            emb,
            "--label",
            "state",
            "--group",
            "donor",
            "--output",
            clf,
            "--classifier",
            "random-forest",
            "--split",
            "0.5,0.25,0.25");
    assertThat(train.exitCode()).as(train.err()).isZero();
    assertThat(train.out())
        .contains("classified state (2 classes) with random-forest")
        .contains("accuracy 1.000");
    assertThat(Files.readAllLines(tmp.resolve("clf/splits.csv"))).hasSize(9);
    CliRun apply =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            clf,
            "--embeddings",
            emb,
            "--output",
            tmp.resolve("pred").toString());
    assertThat(apply.exitCode()).as(apply.err()).isZero();
    assertThat(apply.out()).contains("labelled 160 cells");
    assertThat(
            spark
                .read()
                .parquet(tmp.resolve("pred/predictions").toString())
                .filter("predicted = state")
                .count())
        .isEqualTo(160);
    applyScoresTheCellsKnownLabels(spark, emb, clf);
  }

  /**
   * Upstream's evaluate_saved_model: new cells with known labels, among them ten alpha cells that
   * look like beta, twenty of a state the model never saw and two without one. The known ones are
   * scored (recomputed here from predictions/), the others counted by value.
   */
  private void applyScoresTheCellsKnownLabels(SparkSession spark, String emb, String clf)
      throws java.io.IOException {
    Dataset<Row> cells = spark.read().parquet(emb);
    Dataset<Row> newCells =
        cells.withColumn(
            "state",
            org.apache.spark.sql.functions.expr(
                "CASE WHEN cell_id IN ('c1','c3','c5','c7','c9','c11','c13','c15','c17','c19')"
                    + " THEN 'alpha' WHEN cell_id IN ('c0','c2') THEN NULL WHEN"
                    + " cell_id IN ('c4','c6','c8','c10','c12','c14','c16','c18','c20','c22',"
                    + "'c24','c26','c28','c30','c32','c34','c36','c38','c40','c42') THEN"
                    + " 'gamma' ELSE state END"));
    String newEmb = tmp.resolve("new-emb").toString();
    newCells.write().parquet(newEmb);
    String out = tmp.resolve("scored").toString();
    CliRun apply =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            clf,
            "--embeddings",
            newEmb,
            "--label",
            "state",
            "--output",
            out);
    assertThat(apply.exitCode()).as(apply.err()).isZero();
    List<Row> predicted =
        spark
            .read()
            .parquet(out + "/predictions")
            .filter("state IN ('alpha', 'beta')")
            .collectAsList();
    assertThat(predicted).hasSize(138);
    List<List<String>> pairs = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    for (Row r : predicted) {
      pairs.add(List.of(r.<String>getAs("state"), r.<String>getAs("predicted")));
      scores.add(
          new double[] {
            r.<scala.collection.Seq<Double>>getAs("probability").apply(1),
            "beta".equals(r.getAs("state")) ? 1 : 0
          });
    }
    com.fasterxml.jackson.databind.JsonNode metrics =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(Path.of(out, "metrics.json").toFile());
    assertThat(metrics.get("cells").asLong()).isEqualTo(160);
    assertThat(metrics.get("cells_scored").asLong()).isEqualTo(138);
    assertThat(metrics.get("not_scored").get("gamma").asLong()).isEqualTo(20);
    assertThat(metrics.get("not_scored").get("(missing)").asLong()).isEqualTo(2);
    double accuracy = org.cellspark.testing.ClassifierScores.accuracy(pairs);
    assertThat(accuracy).as("the ten relabelled cells are wrong").isBetween(0.85, 0.95);
    assertThat(metrics.get("accuracy").asDouble()).isCloseTo(accuracy, within(1e-9));
    assertThat(metrics.get("macro_f1").asDouble())
        .isCloseTo(org.cellspark.testing.ClassifierScores.macroF1(pairs), within(1e-9));
    assertThat(metrics.get("roc_auc").asDouble())
        .isCloseTo(org.cellspark.testing.ClassifierScores.mannWhitneyAuc(scores), within(1e-9));
    assertThat(apply.out())
        .contains(
            String.format(
                java.util.Locale.ROOT, "state: 138 of 160 cells scored, accuracy %.3f", accuracy));
    for (String f : List.of("confusion_matrix.csv", "confusion_matrix.png", "roc.csv", "roc.png")) {
      assertThat(Path.of(out, f)).exists();
    }

    // A column none of whose values is a class of the model: refused, nothing written.
    CliRun wrong =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            clf,
            "--embeddings",
            newEmb,
            "--label",
            "donor",
            "--output",
            tmp.resolve("wrong").toString());
    assertThat(wrong.exitCode()).isEqualTo(2);
    assertThat(wrong.err())
        .contains("--label donor: none of the 160 cells' labels is a class the model knows")
        .contains("the model's: alpha, beta");
    assertThat(tmp.resolve("wrong")).doesNotExist();
  }

  /**
   * Upstream's filter_data and max_ncells_per_class by their names: six of the eight donors, then
   * 40 cells of each state (of their 60), the ones with the smallest --seed hash of cell_id.
   */
  @Test
  void filtersAndAPerClassCapChooseTheCellsLearntFrom(SparkSession spark) {
    String emb = embeddings(spark);
    String clf = tmp.resolve("capped").toString();
    CliRun train =
        CliRun.of(
            "classify",
            "--embeddings",
            emb,
            "--label",
            "state",
            "--filter-data",
            "donor=donor0,donor1,donor2,donor3,donor4,donor5",
            "--max-ncells-per-class",
            "40",
            "--output",
            clf);
    assertThat(train.exitCode()).as(train.err()).isZero();
    Dataset<Row> predictions = spark.read().parquet(clf + "/predictions");
    assertThat(predictions.count()).isEqualTo(80);
    assertThat(predictions.filter("state = 'alpha'").count()).isEqualTo(40);
    assertThat(
            predictions
                .join(spark.read().parquet(emb).filter("donor IN ('donor6', 'donor7')"), "cell_id")
                .count())
        .isZero();
    // The 40 alpha cells kept are the 40 with the smallest hash among the six donors' 60.
    List<String> expected =
        spark
            .read()
            .parquet(emb)
            .filter("state = 'alpha' AND donor NOT IN ('donor6', 'donor7')")
            .orderBy(org.apache.spark.sql.functions.xxhash64(col("cell_id"), lit(42L)))
            .limit(40)
            .select("cell_id")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(
            predictions
                .filter("state = 'alpha'")
                .select("cell_id")
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList())
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void badOptionsAreUsageErrors() {
    CliRun missing =
        CliRun.of(
            "classify",
            "--output",
            tmp.resolve("o").toString(),
            "--classifier",
            "svm",
            "--split",
            "0.9,0.2,0");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("'svm' is not one of logistic, random-forest, mlp");
    CliRun split =
        CliRun.of(
            "classify",
            "--embeddings",
            "e",
            "--output",
            tmp.resolve("o").toString(),
            "--split",
            "0.9,0.2,0");
    assertThat(split.exitCode()).isEqualTo(2);
    assertThat(split.err())
        .contains("--label is required")
        .contains("--split must be three fractions");
    CliRun model =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            tmp.resolve("none").toString(),
            "--embeddings",
            "e",
            "--output",
            tmp.resolve("p").toString());
    assertThat(model.exitCode()).isEqualTo(2);
    assertThat(model.err()).contains("does not exist");
    CliRun help = CliRun.of("classify", "--help");
    assertThat(help.out()).contains("--group").contains("apply").contains("[rare_threshold]");
  }

  /**
   * A gene classifier through the command line (upstream's, saved as pytorch_model.bin): every gene
   * of the cells classified and scored against its gene_class_dict; options for the other kind of
   * model refused.
   */
  @Test
  void geneClassifiersThroughTheCommandLine(SparkSession spark) throws java.io.IOException {
    Path model =
        org.cellspark.testing.Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/models/upstream-gene-classifier");
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create("a", new Integer[] {2, 9, 14, 20}, 4, "x"));
    rows.add(RowFactory.create("b", new Integer[] {3, 8, 21, 2, 30}, 5, "y"));
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("length", DataTypes.IntegerType)
            .add("cell_type", DataTypes.StringType);
    String tokens = tmp.resolve("tokens").toString();
    spark.createDataFrame(rows, schema).write().parquet(tokens);
    String vocabulary = org.cellspark.testing.Fixtures.vocab("vocab-v1-small").toString();
    String out = tmp.resolve("genes").toString();
    CliRun run =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            model.toString(),
            "--tokens",
            tokens,
            "--vocabulary",
            vocabulary,
            "--gene-classes",
            model.resolve("gene_class_dict.pkl").toString(),
            "--id-class-dict-file",
            model.resolve("id_class_dict.pkl").toString(),
            "--precision",
            "bf16",
            "--output",
            out);
    assertThat(run.exitCode()).as(run.err()).isZero();
    // Eight genes in the two cells: 2 (twice), 3, 8, 9, 14, 20, 21, 30; five labelled occurrences.
    assertThat(run.out())
        .contains("classified 8 genes in 2 cells into " + out)
        .contains("gene classes: 5 occurrences scored");
    assertThat(Files.readAllLines(Path.of(out, "predictions.csv"))).hasSize(9);

    CliRun label =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            model.toString(),
            "--tokens",
            tokens,
            "--vocabulary",
            vocabulary,
            "--label",
            "cell_type",
            "--output",
            tmp.resolve("x").toString());
    assertThat(label.exitCode()).isEqualTo(2);
    assertThat(label.err()).contains("is a gene classifier: score its genes with --gene-classes");
    CliRun cellModel =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            model.resolveSibling("upstream-cell-classifier").toString(),
            "--tokens",
            tokens,
            "--vocabulary",
            vocabulary,
            "--gene-classes",
            model.resolve("gene_class_dict.pkl").toString(),
            "--output",
            tmp.resolve("y").toString());
    assertThat(cellModel.exitCode()).isEqualTo(2);
    assertThat(cellModel.err()).contains("apply to a gene classifier (with --tokens)");
  }
}
