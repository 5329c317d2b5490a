package org.cellspark.jobs.embed;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import org.apache.spark.ml.functions;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;

/**
 * Exact per-label summaries of cell embeddings: the input of goal-state perturbation (upstream's
 * {@code get_state_embs} with {@code exact_mean} / {@code exact_median}). Mean: MLlib's Summarizer.
 * Median: per dimension, the lower middle value for an even count, as {@code torch.median} (Spark's
 * {@code percentile_disc(0.5)}), computed distributed.
 */
final class StateEmbeddings {
  private StateEmbeddings() {}

  /** label, n_cells, embedding (a Spark ML vector), one row per value of {@code by}. */
  static Dataset<Row> summarise(Dataset<Row> cells, String by, EmbedOptions.Summary summary) {
    Dataset<Row> vectors =
        cells
            .where(col("embedding").isNotNull())
            .select(
                col(by).cast("string").as("label"), asVector(cells, "embedding").as("embedding"));
    if (summary == EmbedOptions.Summary.MEAN) {
      return vectors
          .groupBy("label")
          .agg(count(lit(1)).as("n_cells"), Summarizer.mean(col("embedding")).as("embedding"))
          .orderBy("label");
    }
    Dataset<Row> medians =
        vectors
            .select(
                col("label"),
                posexplode(functions.vector_to_array(col("embedding"), "float64"))
                    .as(new String[] {"dim", "value"}))
            .groupBy("label", "dim")
            .agg(
                count(lit(1)).as("n"),
                expr("percentile_disc(0.5) WITHIN GROUP (ORDER BY value)").as("median"));
    return medians
        .groupBy("label")
        .agg(
            first("n").as("n_cells"),
            sort_array(collect_list(struct(col("dim"), col("median")))).as("by_dim"))
        .select(
            col("label"),
            col("n_cells"),
            functions.array_to_vector(col("by_dim.median")).as("embedding"))
        .orderBy("label");
  }

  private static Column asVector(Dataset<Row> cells, String column) {
    return cells.schema().apply(column).dataType() instanceof ArrayType
        ? functions.array_to_vector(col(column))
        : col(column);
  }
}
