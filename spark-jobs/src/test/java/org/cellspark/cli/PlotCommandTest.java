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

/** `cellspark plot` through the command line, by upstream's argument names. */
@ExtendWith(SharedSpark.class)
class PlotCommandTest {
  @TempDir Path tmp;

  @Test
  void plotsByUpstreamsNames(SparkSession spark) throws java.io.IOException {
    List<Row> rows = new ArrayList<>();
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 120; i++) {
      Float[] v = new Float[8];
      for (int k = 0; k < 8; k++) {
        v[k] = (float) (random.nextGaussian() + (k == i % 3 ? 6 : 0));
      }
      rows.add(RowFactory.create("c" + i, "type" + (i % 3), i, v));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("cell_type", DataTypes.StringType)
            .add("n_counts", DataTypes.IntegerType)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    Path emb = tmp.resolve("emb");
    spark.createDataFrame(rows, schema).write().parquet(emb.resolve("cells").toString());
    Path out = tmp.resolve("plots");
    CliRun plot =
        CliRun.of(
            "plot",
            "--input",
            emb.toString(),
            "--labels-to-plot",
            "cell_type,n_counts",
            "--plot-style",
            "umap,heatmap",
            "--max-ncells-to-plot",
            "100",
            "--output",
            out.toString());
    assertThat(plot.exitCode()).as(plot.err()).isZero();
    assertThat(plot.out())
        .contains("plot: 100 cells drawn into")
        .contains("umap_cell_type.png, umap_n_counts.png, heatmap_cell_type.png");
    assertThat(Files.readAllLines(out.resolve("umap.csv"))).hasSize(101);
    assertThat(out.resolve("heatmap_n_counts.png")).exists();
  }
}
