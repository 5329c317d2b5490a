package org.cellspark.io.cells;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Annotation values (Spark internal values) as the obs struct's field types, for readers that fill
 * obs themselves.
 */
public final class ObsValues {
  private ObsValues() {}

  /**
   * {@code v} as {@code type}: integers widen to double, anything becomes a string; null stays
   * null. Returns {@link #MISMATCH} for values that cannot be that type (the caller names the file,
   * column and cell).
   */
  public static Object as(Object v, DataType type) {
    if (v == null) {
      return null;
    }
    if (type.equals(DataTypes.StringType)) {
      return v instanceof UTF8String ? v : UTF8String.fromString(String.valueOf(v));
    }
    if (type.equals(DataTypes.DoubleType) && v instanceof Number n) {
      return n.doubleValue();
    }
    if (type.equals(DataTypes.LongType)
        && (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) {
      return ((Number) v).longValue();
    }
    if (type.equals(DataTypes.BooleanType) && v instanceof Boolean) {
      return v;
    }
    return MISMATCH;
  }

  /** Returned by {@link #as} for a value that does not fit. */
  public static final Object MISMATCH = new Object();
}
