package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Which cells a classifier learns from, as upstream's {@code Classifier.prepare_data} chooses them:
 * filters on the table's columns ({@code filter_data}; the label values to keep, upstream's {@code
 * cell_state_dict} states, are a filter on the label column), and after the rare classes are left
 * out at most {@code maxCells} cells ({@code max_ncells}) and then at most {@code maxCellsPerClass}
 * of each class ({@code max_ncells_per_class}). Each sample is the cells with the smallest seeded
 * hash of cell_id (the hash {@code --max-cells} samples by in every job), so it is the same
 * whatever the partitioning; ranks are taken on (class, hash) alone and only each class's cut point
 * comes back, so the cells are not sorted or shuffled for it.
 *
 * @param filters cells kept when every filter holds; none: every cell
 * @param maxCells at most this many labelled cells; 0: all
 * @param maxCellsPerClass at most this many cells of each class; 0: all
 */
public record CellSample(List<CellSelection.Filter> filters, long maxCells, long maxCellsPerClass)
    implements Serializable {

  public CellSample {
    filters = filters == null ? List.of() : List.copyOf(filters);
  }

  public static CellSample all() {
    return new CellSample(List.of(), 0, 0);
  }

  public void addProblems(OptionProblems problems) {
    if (maxCells < 0 || maxCellsPerClass < 0) {
      problems.add("--max-cells and --max-cells-per-class must be >= 0 (0: every cell)");
    }
  }

  /** Its settings into a job's options map (the summary's, a resumed run's fingerprint), if any. */
  public void addTo(Map<String, Object> options) {
    if (!filters.isEmpty()) {
      options.put("filters", filters.stream().map(Object::toString).toList());
    }
    if (maxCells > 0) {
      options.put("max_cells", maxCells);
    }
    if (maxCellsPerClass > 0) {
      options.put("max_cells_per_class", maxCellsPerClass);
    }
  }

  /** The cells every filter keeps (a filter on a column the table lacks is refused). */
  public Dataset<Row> filter(Dataset<Row> cells) {
    return CellSelection.filter(cells, filters);
  }

  /**
   * At most {@link #maxCells} of {@code labelled}, then at most {@link #maxCellsPerClass} of each
   * value of {@code label}; what was done goes into {@code info} (nothing when both are 0).
   */
  public Dataset<Row> sample(
      Dataset<Row> labelled, String label, long seed, Map<String, Object> info) {
    if (maxCells == 0 && maxCellsPerClass == 0) {
      return labelled;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    Dataset<Row> kept = labelled;
    if (maxCells > 0) {
      kept = smallestHashes(kept, null, maxCells, seed);
      m.put("max_cells", maxCells);
    }
    if (maxCellsPerClass > 0) {
      kept = smallestHashes(kept, label, maxCellsPerClass, seed);
      m.put("max_cells_per_class", maxCellsPerClass);
    }
    m.put("seed", seed);
    info.put("sample", m);
    return kept;
  }

  /**
   * The {@code n} cells with the smallest hash of each value of {@code by} (null: of the whole
   * table): the n-th smallest hash of each value is found on (value, hash) alone and broadcast; a
   * value with n cells or fewer keeps them all.
   */
  private static Dataset<Row> smallestHashes(Dataset<Row> cells, String by, long n, long seed) {
    Column key = by == null ? lit("") : col(by).cast(DataTypes.StringType);
    Dataset<Row> keyed =
        cells
            .withColumn("_sample_key", key)
            .withColumn("_sample_h", xxhash64(col("cell_id"), lit(seed)));
    List<Row> cuts =
        keyed
            .select("_sample_key", "_sample_h")
            .withColumn(
                "_r", row_number().over(Window.partitionBy("_sample_key").orderBy("_sample_h")))
            .where(col("_r").equalTo(n))
            .select("_sample_key", "_sample_h")
            .collectAsList();
    List<Row> rows = new ArrayList<>();
    for (Row r : cuts) {
      rows.add(RowFactory.create(r.isNullAt(0) ? null : r.getString(0), r.getLong(1)));
    }
    StructType schema =
        new StructType()
            .add("_sample_key", DataTypes.StringType, true)
            .add("_sample_cut", DataTypes.LongType, false);
    Dataset<Row> table = cells.sparkSession().createDataFrame(rows, schema);
    return keyed
        .join(
            org.apache.spark.sql.functions.broadcast(table),
            keyed.col("_sample_key").eqNullSafe(table.col("_sample_key")),
            "left")
        .where(col("_sample_cut").isNull().or(col("_sample_h").leq(col("_sample_cut"))))
        .drop(keyed.col("_sample_key"))
        .drop(table.col("_sample_key"))
        .drop("_sample_h", "_sample_cut");
  }
}
