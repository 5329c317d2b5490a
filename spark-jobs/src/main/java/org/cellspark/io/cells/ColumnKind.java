package org.cellspark.io.cells;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * The kind of a cell annotation column, whatever the format keeps it in (an AnnData obs column, a
 * loom column attribute, a Parquet column), and the Spark type it is read as: all integers widen to
 * long, all floats to double.
 */
public enum ColumnKind {
  STRING(DataTypes.StringType),
  LONG(DataTypes.LongType),
  DOUBLE(DataTypes.DoubleType),
  BOOLEAN(DataTypes.BooleanType);

  private final DataType sparkType;

  ColumnKind(DataType sparkType) {
    this.sparkType = sparkType;
  }

  public DataType sparkType() {
    return sparkType;
  }
}
