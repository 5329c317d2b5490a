package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class ClassifyCommandTest {
  @TempDir Path tmp;

  /** Any Parquet table with an embedding column will do: two clusters of cells, eight donors. */
  private String embeddings(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 160; i++) {
      boolean a = i % 2 == 0;
      float[] v = new float[4];
      for (int k = 0; k < 4; k++) {
        v[k] = (float) (random.nextGaussian() * 0.3 + (a == (k < 2) ? 1 : -1));
      }
      Float[] boxed = new Float[4];
      for (int k = 0; k < 4; k++) {
        boxed[k] = v[k];
      }
      rows.add(RowFactory.create("c" + i, a ? "alpha" : "beta", "donor" + (i % 8), boxed));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("state", DataTypes.StringType)
            .add("donor", DataTypes.StringType)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    String out = tmp.resolve("emb").toString();
    spark.createDataFrame(rows, schema).write().parquet(out);
    return out;
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
}
