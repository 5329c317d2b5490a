package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;

/**
 * aggregate_gene_shifts (reference 6.6): for every (perturbed, affected gene) pair, the mean,
 * population standard deviation and count of the affected gene's cosine similarity (perturbed cell
 * vs original), from perturb's gene_shifts/; and for every perturbed gene the same over its cell
 * embeddings, with Affected = "cell_emb". Those rows first, then ascending mean, as upstream.
 */
final class AggregateGeneShifts {
  static final String CELL_EMB = "cell_emb";

  private AggregateGeneShifts() {}

  static StatsTable compute(Screen screen) {
    if (screen.geneShifts() == null) {
      throw UserException.of(
          "--mode aggregate-gene-shifts reads gene_shifts/, which %s does not have:"
              + " run the screen with --gene-shifts",
          screen.folder());
    }
    Dataset<Row> pairs =
        screen
            .keyedPairs()
            .select(
                col(Screen.GENE).as("Perturbed"),
                col(Screen.GENE_NAME),
                col(Screen.ENSEMBL_ID),
                col("affected_token").cast(DataTypes.StringType).as("Affected"),
                col("affected_symbol").as("Affected_gene_name"),
                col("affected").as("Affected_Ensembl_ID"),
                col("mean").as("Cosine_sim_mean"),
                col("std").as("Cosine_sim_stdev"),
                col("n").as("N_Detections"));
    Dataset<Row> cells =
        screen
            .keyedCells()
            .groupBy(col(Screen.GENE))
            .agg(
                first(Screen.GENE_NAME, true).as(Screen.GENE_NAME),
                first(Screen.ENSEMBL_ID, true).as(Screen.ENSEMBL_ID),
                avg("cosine_similarity").as("Cosine_sim_mean"),
                stddev_pop("cosine_similarity").as("Cosine_sim_stdev"),
                count(lit(1)).as("N_Detections"))
            .select(
                col(Screen.GENE).as("Perturbed"),
                col(Screen.GENE_NAME),
                col(Screen.ENSEMBL_ID),
                lit(CELL_EMB).as("Affected"),
                lit(null).cast(DataTypes.StringType).as("Affected_gene_name"),
                lit(null).cast(DataTypes.StringType).as("Affected_Ensembl_ID"),
                col("Cosine_sim_mean"),
                col("Cosine_sim_stdev"),
                col("N_Detections"));
    Dataset<Row> rows =
        cells
            .unionByName(pairs)
            .orderBy(
                when(col("Affected").equalTo(CELL_EMB), 0).otherwise(1),
                col("Cosine_sim_mean"),
                col("Perturbed"),
                col("Affected"));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("genes", screen.genesLabel());
    return new StatsTable(rows, false, details);
  }
}
