package org.cellspark.io.zarr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
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
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.BlockRows;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.cells.ObsValues;
import org.cellspark.spark.InternalRowsRelation;

/**
 * An AnnData zarr store's cells as rows of {@link CellCountsSchema}: tasks read ranges of
 * consecutive cells (each reading only the chunks its cells' entries lie in), cell_id = the obs
 * index, the obs struct filled from the obs columns of the same names.
 */
final class ZarrCells {
  /** Cells per task at most, and per block read at once within a task. */
  static final int CELLS_PER_RANGE = 8_192;

  static final int CELLS_PER_BLOCK = 1_024;

  private ZarrCells() {}

  static Dataset<Row> read(
      SparkSession spark,
      InputFile file,
      long cells,
      CountsLocation counts,
      StructType obs,
      int partitions) {
    int tasks =
        partitions > 0
            ? partitions
            : (int)
                Math.max(
                    Math.min(cells, 2L * spark.sparkContext().defaultParallelism()),
                    (cells + CELLS_PER_RANGE - 1) / CELLS_PER_RANGE);
    List<long[]> ranges = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      long from = cells * t / tasks;
      long to = cells * (t + 1) / tasks;
      if (to > from) {
        ranges.add(new long[] {from, to});
      }
    }
    StructField[] fields = obs.fields();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // Executors get the driver's Hadoop configuration (credentials and endpoints set at runtime).
    Broadcast<SerializableWritable<Configuration>> conf =
        jsc.broadcast(new SerializableWritable<>(spark.sparkContext().hadoopConfiguration()));
    JavaRDD<InternalRow> rows =
        jsc.parallelize(ranges, Math.max(1, ranges.size()))
            .mapPartitions(
                it -> {
                  AnnDataZarr z = AnnDataZarr.open(file, conf.value().value());
                  return BlockRows.of(
                      it, CELLS_PER_BLOCK, new Reader(z, counts, fields)::read, null);
                });
    return InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), rows.rdd());
  }

  /** One task's open parts of the store. */
  private static final class Reader {
    private final AnnDataZarr z;
    private final ZarrCounts matrix;
    private final ZarrFrame obs;
    private final StructField[] fields;
    private final UTF8String source;

    Reader(AnnDataZarr z, CountsLocation counts, StructField[] fields) {
      this.z = z;
      this.matrix = ZarrCounts.open(z.store(), counts.matrixPath());
      this.obs = z.obs();
      this.fields = fields;
      this.source = UTF8String.fromString(z.file().uri());
    }

    void read(long first, int count, List<InternalRow> out) {
      ZarrCounts.Block b = matrix.read(first, count);
      String[] ids = obs.indexStrings(first, count);
      Object[][] values = new Object[fields.length][];
      for (int k = 0; k < fields.length; k++) {
        if (obs.hasColumn(fields[k].name())) {
          values[k] = obs.column(fields[k].name()).read(first, count);
        }
      }
      for (int c = 0; c < count; c++) {
        long cell = first + c;
        if (ids[c] == null) {
          throw UserException.of(
              "Input %s: the obs index is empty for cell %,d; every cell needs an ID",
              z.file().name(), cell);
        }
        GenericInternalRow o = new GenericInternalRow(fields.length);
        for (int k = 0; k < fields.length; k++) {
          if (values[k] != null) {
            o.update(k, as(values[k][c], fields[k].dataType(), fields[k].name(), cell));
          }
        }
        int from = b.offsets()[c];
        int to = b.offsets()[c + 1];
        int[] genes = Arrays.copyOfRange(b.genes(), from, to);
        double[] counts = Arrays.copyOfRange(b.values(), from, to);
        Object[] row = {
          UTF8String.fromString(ids[c]),
          source,
          cell,
          UnsafeArrayData.fromPrimitiveArray(genes),
          UnsafeArrayData.fromPrimitiveArray(counts),
          o
        };
        // Without obs fields the schema has no obs column (CellCountsSchema.of).
        out.add(new GenericInternalRow(fields.length == 0 ? Arrays.copyOf(row, 5) : row));
      }
    }

    /** A value as the obs struct's field type; a value that does not fit is refused. */
    private Object as(Object v, DataType type, String column, long cell) {
      Object out = ObsValues.as(v, type);
      if (out == ObsValues.MISMATCH) {
        throw UserException.of(
            "Input %s: obs/%s of cell %,d is %s, but the column is %s in the other inputs; make"
                + " the column the same type in every input",
            z.file().name(), column, cell, v, type.simpleString());
      }
      return out;
    }
  }
}
