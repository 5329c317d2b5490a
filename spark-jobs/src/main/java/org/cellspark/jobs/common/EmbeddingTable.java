package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.cellspark.error.UserException;
import org.cellspark.io.ParquetTables;

/**
 * Cell embeddings as classify and plot read them: an embed output folder (its cells/ table) or any
 * Parquet table with an {@code embedding} column, which comes back as an ML vector.
 */
public final class EmbeddingTable {
  public static final String EMBEDDING = "embedding";

  private EmbeddingTable() {}

  public static Dataset<Row> read(SparkSession spark, String folder, String option) {
    Path dir = new Path(folder);
    String table = folder;
    try {
      FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(dir)) {
        throw UserException.of(
            "%s %s does not exist; pass cellspark embed's output folder", option, folder);
      }
      if (fs.exists(new Path(dir, "cells"))) {
        table = new Path(dir, "cells").toString();
      }
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s %s: %s", option, folder, e.getMessage());
    }
    Dataset<Row> cells =
        ParquetTables.read(
            spark,
            table,
            (e, why) ->
                UserException.because(e, "%s %s is not a Parquet table (%s)", option, folder, why));
    if (!Arrays.asList(cells.columns()).contains(EMBEDDING)) {
      throw UserException.of(
          "%s %s has no %s column (columns: %s); pass cellspark embed's output",
          option, folder, EMBEDDING, String.join(", ", cells.columns()));
    }
    DataType type = cells.schema().apply(EMBEDDING).dataType();
    if (type instanceof ArrayType a && a.elementType() instanceof NumericType) {
      // A missing embedding stays missing (array_to_vector fails on it) for the job to name.
      cells =
          cells.withColumn(
              EMBEDDING,
              when(
                  col(EMBEDDING).isNotNull(),
                  functions.array_to_vector(col(EMBEDDING).cast("array<double>"))));
    } else if (!type.sameType(SQLDataTypes.VectorType())) {
      throw UserException.of(
          "%s %s: %s is %s, not a vector or an array of numbers",
          option, folder, EMBEDDING, type.simpleString());
    }
    return cells;
  }

  public static void requireColumn(
      Dataset<Row> cells, String column, String option, String folder) {
    if (!Arrays.asList(cells.columns()).contains(column)) {
      throw UserException.of(
          "%s %s has no column '%s' (columns: %s); embed with --labels %s to carry it",
          option, folder, column, String.join(", ", cells.columns()), column);
    }
  }
}
