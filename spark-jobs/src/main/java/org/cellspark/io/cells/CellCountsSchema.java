package org.cellspark.io.cells;

import java.util.Arrays;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The row schema every atlas reader produces: one row per cell, with the cell's stored counts as
 * two parallel arrays (gene index into the file's gene table, count) and its annotations in a
 * struct {@code obs} (a struct, so annotation names can never collide with ours).
 */
public final class CellCountsSchema {
  private CellCountsSchema() {}

  /** The cell's ID: the file's cell index (AnnData {@code obs_names}). */
  public static final String CELL_ID = "cell_id";

  /** The file the cell came from (its full URI). */
  public static final String SOURCE = "source";

  /** The cell's row in its file, from 0. */
  public static final String ROW_INDEX = "row_index";

  /** Column (gene) index of each stored value, into the file's gene table; ascending. */
  public static final String GENE_INDEX = "gene_index";

  /** The stored values, aligned with {@link #GENE_INDEX}. */
  public static final String COUNTS = "counts";

  /** The cell's annotations. */
  public static final String OBS = "obs";

  /**
   * The schema with the given obs struct. An obs without fields is left out altogether: Spark's
   * encoders cannot build an empty struct (an assertion inside Spark fails), so a table whose cells
   * carry no annotations simply has no {@code obs} column.
   */
  public static StructType of(StructType obs) {
    StructType s =
        new StructType(
            new StructField[] {
              DataTypes.createStructField(CELL_ID, DataTypes.StringType, false),
              DataTypes.createStructField(SOURCE, DataTypes.StringType, false),
              DataTypes.createStructField(ROW_INDEX, DataTypes.LongType, false),
              DataTypes.createStructField(
                  GENE_INDEX, DataTypes.createArrayType(DataTypes.IntegerType, false), false),
              DataTypes.createStructField(
                  COUNTS, DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            });
    return obs.fields().length == 0 ? s : s.add(DataTypes.createStructField(OBS, obs, false));
  }

  /** The obs struct of a cell table, empty when the table has no obs column. */
  public static StructType obsOf(StructType table) {
    return Arrays.asList(table.fieldNames()).contains(OBS)
        ? (StructType) table.apply(OBS).dataType()
        : new StructType();
  }
}
