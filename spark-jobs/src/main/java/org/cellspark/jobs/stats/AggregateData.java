package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cellspark.error.UserException;

/**
 * aggregate_data (reference 6.6): a gene-list screen as one long table, one row per perturbed cell:
 * Cosine_sim and Gene (the symbol, or the Ensembl ID where the vocabulary has no symbol; a group's
 * genes joined by '+'), plus the cell_id upstream leaves out. Sorted by gene, then cell.
 */
final class AggregateData {
  private AggregateData() {}

  static StatsTable compute(Screen screen) {
    if (screen.allGenes()) {
      throw UserException.of(
          "--mode aggregate-data reads a gene-list screen (--genes GENES); %s perturbed every gene:"
              + " its cell_shifts/ table already has one row per cell and gene",
          screen.folder());
    }
    Dataset<Row> rows =
        screen
            .keyedCells()
            .select(
                col("cosine_similarity").as("Cosine_sim"),
                coalesce(col(Screen.GENE_NAME), col(Screen.ENSEMBL_ID), col(Screen.GENE))
                    .as("Gene"),
                col("cell_id"))
            .orderBy(col("Gene"), col("cell_id"));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("genes", screen.genesLabel());
    return new StatsTable(rows, false, details);
  }
}
