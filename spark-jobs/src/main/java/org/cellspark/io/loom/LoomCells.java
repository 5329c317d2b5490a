package org.cellspark.io.loom;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.BlockRows;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.ObsValues;
import org.cellspark.io.hdf5.HdfOpener;
import org.cellspark.spark.InternalRowsRelation;

/**
 * A loom file's cells as rows of {@link CellCountsSchema}: tasks read ranges of whole chunk columns
 * (every chunk inflated once), cell_id = {@code col_attrs/CellID} (else the column number), and the
 * obs struct filled from the column attributes of the same names.
 */
public final class LoomCells {
  /** Cells per task at most: a few seconds of reading for a 20k-gene matrix. */
  static final int CELLS_PER_RANGE = 8_192;

  private LoomCells() {}

  public static Dataset<Row> read(SparkSession spark, LoomFile f, StructType obs) {
    int block = f.blockCells();
    // Whole blocks per task; at most CELLS_PER_RANGE cells, and at least two tasks per core.
    int blocks = (f.cells() + block - 1) / block;
    int tasks =
        Math.max(
            Math.min(blocks, 2 * spark.sparkContext().defaultParallelism()),
            (int) Math.ceil(f.cells() / (double) Math.max(block, CELLS_PER_RANGE / block * block)));
    List<long[]> ranges = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      int from = (int) ((long) blocks * t / tasks) * block;
      int to = Math.min(f.cells(), (int) ((long) blocks * (t + 1) / tasks) * block);
      if (to > from) {
        ranges.add(new long[] {from, to});
      }
    }
    StructField[] fields = obs.fields();
    HdfOpener opener = HdfOpener.forTasks(spark, List.of(f.file()));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<InternalRow> rows =
        jsc.parallelize(ranges, Math.max(1, ranges.size()))
            .mapPartitions(
                it -> {
                  LoomFile.Reader r = f.reader(opener);
                  // A block of whole chunk columns at a time: every chunk inflated once.
                  return BlockRows.of(
                      it,
                      block,
                      (first, count, out) -> read(f, r, (int) first, count, fields, out),
                      r);
                });
    return InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), rows.rdd());
  }

  private static void read(
      LoomFile f,
      LoomFile.Reader r,
      int first,
      int count,
      StructField[] fields,
      List<InternalRow> out) {
    LoomFile.Block b = r.read(first, count);
    Object[] ids = f.cellIdAttribute() == null ? null : r.column(f.cellIdAttribute(), first, count);
    Object[][] obs = new Object[fields.length][];
    for (int k = 0; k < fields.length; k++) {
      if (f.columns().containsKey(fields[k].name())) {
        obs[k] = r.column(fields[k].name(), first, count);
      }
    }
    UTF8String source = UTF8String.fromString(f.file().uri());
    for (int c = 0; c < count; c++) {
      int cell = first + c;
      Object id = ids == null ? UTF8String.fromString(Integer.toString(cell)) : ids[c];
      if (id == null) {
        throw UserException.of(
            "Input %s: col_attrs/%s is empty for cell %d; every cell needs an ID",
            f.file().name(), f.cellIdAttribute(), cell);
      }
      GenericInternalRow o = new GenericInternalRow(fields.length);
      for (int k = 0; k < fields.length; k++) {
        if (obs[k] != null) {
          o.update(k, as(obs[k][c], fields[k].dataType(), f, fields[k].name(), cell));
        }
      }
      out.add(
          new GenericInternalRow(
              new Object[] {
                id,
                source,
                (long) cell,
                UnsafeArrayData.fromPrimitiveArray(b.genes()[c]),
                UnsafeArrayData.fromPrimitiveArray(b.values()[c]),
                o
              }));
    }
  }

  /** A value as the obs struct's field type; a value that does not fit is refused. */
  private static Object as(Object v, DataType type, LoomFile f, String column, int cell) {
    Object out = ObsValues.as(v, type);
    if (out == ObsValues.MISMATCH) {
      throw UserException.of(
          "Input %s: col_attrs/%s of cell %d is %s, but the column is %s in the other inputs; make"
              + " the column the same type in every input",
          f.file().name(), column, cell, v, type.simpleString());
    }
    return out;
  }
}
