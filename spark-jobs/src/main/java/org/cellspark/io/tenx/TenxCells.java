package org.cellspark.io.tenx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.io.cells.BlockRows;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.GeneOrder;
import org.cellspark.io.hdf5.HdfOpener;
import org.cellspark.spark.InternalRowsRelation;

/**
 * A Cell Ranger .h5's cells as rows of {@link CellCountsSchema}: tasks read ranges of cells (each
 * cell's genes are contiguous in the file), feature columns of other types than gene expression
 * dropped (so they count toward nothing), cell_id = barcode, no annotations.
 */
public final class TenxCells {
  /** Cells per task: a few seconds of reading. */
  static final int CELLS_PER_RANGE = 20_000;

  /** Cells read at once within a task, their rows handed on before the next block is read. */
  static final int CELLS_PER_BLOCK = 1_024;

  private TenxCells() {}

  public static Dataset<Row> read(SparkSession spark, TenxH5 m, StructType obs) {
    // At most CELLS_PER_RANGE cells a task, and at least two tasks per core for small files.
    int perRange =
        (int)
            Math.max(
                1,
                Math.min(
                    CELLS_PER_RANGE,
                    Math.ceil(m.cells() / (2.0 * spark.sparkContext().defaultParallelism()))));
    List<long[]> ranges = new ArrayList<>();
    for (long from = 0; from < m.cells(); from += perRange) {
      ranges.add(new long[] {from, Math.min(m.cells(), from + perRange)});
    }
    int obsFields = obs.fields().length;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<TenxH5> file =
        jsc.broadcast(m); // barcodes and gene IDs once per executor, not per task
    HdfOpener opener = HdfOpener.forTasks(spark, List.of(m.file()));
    JavaRDD<InternalRow> rows =
        jsc.parallelize(ranges, Math.max(1, ranges.size()))
            .mapPartitions(
                it -> {
                  TenxH5 f = file.value();
                  TenxH5.Reader r = f.cursors(opener);
                  return BlockRows.of(
                      it,
                      CELLS_PER_BLOCK,
                      (first, count, out) -> read(f, r, first, count, obsFields, out),
                      r);
                });
    return InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), rows.rdd());
  }

  private static void read(
      TenxH5 m, TenxH5.Reader r, long from, int count, int obsFields, List<InternalRow> out) {
    long[] indptr = r.indptr(from, count);
    String[] ids = m.geneIds();
    UTF8String source = UTF8String.fromString(m.file().uri());
    for (int c = 0; c < count; c++) {
      int n = (int) (indptr[c + 1] - indptr[c]);
      int[] genes = new int[n];
      double[] values = new double[n];
      if (n > 0) {
        r.indices.readInts(indptr[c], n, genes, 0);
        r.values.readDoubles(indptr[c], n, values, 0);
      }
      int kept = 0;
      for (int k = 0; k < n; k++) {
        if (ids[genes[k]] != null) {
          genes[kept] = genes[k];
          values[kept++] = values[k];
        }
      }
      int[] g = Arrays.copyOf(genes, kept);
      double[] v = Arrays.copyOf(values, kept);
      GeneOrder.sort(
          g, v, 0,
          g.length); // Cell Ranger writes each cell's features in order; sorted if a writer did not
      long cell = from + c;
      out.add(
          new GenericInternalRow(
              new Object[] {
                UTF8String.fromString(m.barcodes()[(int) cell]),
                source,
                cell,
                UnsafeArrayData.fromPrimitiveArray(g),
                UnsafeArrayData.fromPrimitiveArray(v),
                new GenericInternalRow(obsFields)
              }));
    }
  }
}
