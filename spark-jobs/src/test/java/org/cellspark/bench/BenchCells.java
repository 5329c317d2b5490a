package org.cellspark.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The model benchmarks' cells: cells.txt (their make_inputs.py), and as a token table. */
final class BenchCells {
  private BenchCells() {}

  /** cells.txt: one cell a line, its token ids separated by spaces. */
  static List<int[]> read(Path file) throws IOException {
    List<int[]> cells = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      cells.add(Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    return cells;
  }

  /**
   * The cells as a token table (cell_id cell0000, ..., input_ids) of {@code partitions} ranges of
   * cell_id, replacing what {@code path} held.
   */
  static void writeTokens(SparkSession spark, List<int[]> cells, String path, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      rows.add(
          RowFactory.create(
              String.format(Locale.ROOT, "cell%04d", i),
              Arrays.stream(cells.get(i)).boxed().toList()));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
    spark
        .createDataFrame(rows, schema)
        .coalesce(1)
        .repartitionByRange(partitions, org.apache.spark.sql.functions.col("cell_id"))
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(path);
  }
}
