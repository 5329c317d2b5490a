package org.cellspark.jobs.plot;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructField;
import org.cellspark.error.UserException;
import org.cellspark.io.ParquetTables;
import org.cellspark.io.PathGlobs;

/**
 * Cell annotations kept outside the embeddings, joined to them by cell_id so that a plot can colour
 * by them: a classify apply or finetune output's predictions/, another tool's clusters, or scanpy's
 * {@code adata.obs.to_csv("obs.csv")}, whose first column is the index (cell IDs) under an empty
 * name. A CSV or TSV file is read with its header and its columns' types inferred; anything else as
 * a Parquet table (or an output folder holding predictions/).
 */
final class Annotations {
  /** The most distinct whole numbers a CSV column may hold to be read as categories. */
  static final int CATEGORY_NUMBERS = 100;

  private Annotations() {}

  /**
   * {@code cells} with the annotations' columns added (replacing any of the same name); cells the
   * annotations do not list get nulls.
   */
  static Dataset<Row> join(SparkSession spark, Dataset<Row> cells, String file) {
    Dataset<Row> notes = read(spark, file);
    Dataset<Row> twice = notes.groupBy(PlotJob.CELL_ID).count().filter(col("count").gt(1));
    long repeated = twice.count();
    if (repeated > 0) {
      Row first = twice.orderBy(PlotJob.CELL_ID).first();
      throw UserException.of(
          "--annotations %s lists %,d cell IDs more than once (%s: %d times); give one row per"
              + " cell",
          file, repeated, first.get(0), first.getLong(1));
    }
    List<String> added =
        Arrays.stream(notes.columns()).filter(c -> !c.equals(PlotJob.CELL_ID)).toList();
    Dataset<Row> kept = cells.drop(added.toArray(new String[0]));
    return kept.join(notes, kept.col(PlotJob.CELL_ID).equalTo(notes.col(PlotJob.CELL_ID)), "left")
        .drop(notes.col(PlotJob.CELL_ID));
  }

  static Dataset<Row> read(SparkSession spark, String file) {
    String lower = file.toLowerCase(Locale.ROOT);
    Dataset<Row> notes;
    if (lower.endsWith(".csv") || lower.endsWith(".tsv")) {
      notes =
          spark
              .read()
              .option("header", true)
              .option("inferSchema", true)
              .option("sep", lower.endsWith(".tsv") ? "\t" : ",")
              .csv(PathGlobs.input(file, spark.sparkContext().hadoopConfiguration()));
      String firstColumn = notes.columns().length == 0 ? null : notes.columns()[0];
      if (!Arrays.asList(notes.columns()).contains(PlotJob.CELL_ID)
          && ("_c0".equals(firstColumn) || "".equals(firstColumn))) {
        // pandas writes the index (AnnData's obs_names) first, under an empty header.
        notes = notes.withColumnRenamed(firstColumn, PlotJob.CELL_ID);
      }
      notes = wholeNumberCategories(notes);
    } else {
      String table = holdsPredictions(spark, file) ? file + "/predictions" : file;
      notes =
          ParquetTables.read(
              spark,
              table,
              (e, why) ->
                  UserException.because(
                      e,
                      "--annotations %s is neither a CSV / TSV file nor a Parquet table (%s)",
                      file,
                      why));
    }
    if (!Arrays.asList(notes.columns()).contains(PlotJob.CELL_ID)) {
      throw UserException.of(
          "--annotations %s has no cell_id column (columns: %s); name the cell IDs' column"
              + " cell_id, or write the table with pandas' index first (adata.obs.to_csv)",
          file, String.join(", ", notes.columns()));
    }
    return notes.withColumn(PlotJob.CELL_ID, col(PlotJob.CELL_ID).cast("string"));
  }

  /**
   * A CSV loses pandas' categorical types: Leiden clusters 0 to 12 come back as whole numbers.
   * Whole numbers with at most {@link #CATEGORY_NUMBERS} distinct values are taken as categories
   * (cluster and batch numbers); other numbers stay numbers (counts, scores), coloured on a ramp.
   */
  static Dataset<Row> wholeNumberCategories(Dataset<Row> notes) {
    List<String> whole =
        Arrays.stream(notes.schema().fields())
            .filter(f -> !f.name().equals(PlotJob.CELL_ID))
            .filter(f -> f.dataType() instanceof IntegerType || f.dataType() instanceof LongType)
            .map(StructField::name)
            .toList();
    if (whole.isEmpty()) {
      return notes;
    }
    Row distinct =
        notes
            .agg(
                countDistinct(col(whole.get(0))),
                whole.stream().skip(1).map(c -> countDistinct(col(c))).toArray(Column[]::new))
            .first();
    for (int i = 0; i < whole.size(); i++) {
      if (distinct.getLong(i) <= CATEGORY_NUMBERS) {
        notes = notes.withColumn(whole.get(i), col(whole.get(i)).cast("string"));
      }
    }
    return notes;
  }

  /** Whether {@code folder} is an apply or fine-tune output (its table in predictions/). */
  private static boolean holdsPredictions(SparkSession spark, String folder) {
    Path predictions = new Path(folder, "predictions");
    try {
      return predictions
          .getFileSystem(spark.sparkContext().hadoopConfiguration())
          .exists(predictions);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read --annotations %s: %s", folder, e.getMessage());
    }
  }
}
