package org.cellspark.io.zarr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
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
import org.cellspark.io.cells.CellEntries;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.cells.CscBlocks;
import org.cellspark.io.cells.ObsValues;
import org.cellspark.spark.InternalRowsRelation;
import scala.Tuple2;

/**
 * An AnnData zarr store's cells as rows of {@link CellCountsSchema}: tasks read ranges of
 * consecutive cells (each reading only the chunks its cells' entries lie in), cell_id = the obs
 * index, the obs struct filled from the obs columns of the same names. CSC counts are gathered into
 * cells with one shuffle ({@link CscBlocks}): map tasks read ranges of genes, each cell block's
 * task assembles its cells and reads their obs.
 */
final class ZarrCells {
  /** Cells per task at most. */
  static final int CELLS_PER_RANGE = 8_192;

  private ZarrCells() {}

  static Dataset<Row> read(
      SparkSession spark,
      InputFile file,
      long cells,
      CountsLocation counts,
      StructType obs,
      int partitions) {
    ZarrCounts matrix =
        AnnDataZarr.open(file, spark.sparkContext().hadoopConfiguration()).counts(counts);
    int tasks =
        partitions > 0
            ? partitions
            : (int)
                Math.max(
                    1, // a store without cells still reads as one (empty) task
                    Math.max(
                        Math.min(cells, 2L * spark.sparkContext().defaultParallelism()),
                        (cells + CELLS_PER_RANGE - 1) / CELLS_PER_RANGE));
    StructField[] fields = obs.fields();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // Executors get the driver's Hadoop configuration (credentials and endpoints set at runtime).
    Broadcast<SerializableWritable<Configuration>> conf =
        jsc.broadcast(new SerializableWritable<>(spark.sparkContext().hadoopConfiguration()));
    if (matrix instanceof ZarrCounts.Csc csc) {
      return InternalRowsRelation.dataFrame(
          spark,
          CellCountsSchema.of(obs),
          cscRows(jsc, conf, file, csc, counts, fields, tasks).rdd());
    }
    long align = matrix.taskAlignment();
    List<long[]> ranges = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      long from = Math.min(cells, cells * t / tasks / align * align);
      long to = t == tasks - 1 ? cells : Math.min(cells, cells * (t + 1) / tasks / align * align);
      if (to > from) {
        ranges.add(new long[] {from, to});
      }
    }
    JavaRDD<InternalRow> rows =
        jsc.parallelize(ranges, Math.max(1, ranges.size()))
            .mapPartitions(
                it -> {
                  Reader r =
                      new Reader(AnnDataZarr.open(file, conf.value().value()), counts, fields);
                  return BlockRows.of(it, r.matrix.cellsPerBlock(), r::read, null);
                });
    return InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), rows.rdd());
  }

  /**
   * A CSC matrix's cells in {@code tasks} cell blocks, read by as many tasks of gene ranges, a
   * piece of at most {@link #VALUES_PER_PIECE} entries at a time.
   */
  private static JavaRDD<InternalRow> cscRows(
      JavaSparkContext jsc,
      Broadcast<SerializableWritable<Configuration>> conf,
      InputFile file,
      ZarrCounts.Csc m,
      CountsLocation counts,
      StructField[] fields,
      int tasks) {
    long cells = m.rows();
    int cellsPerBlock = (int) Math.max(1, (cells + tasks - 1) / tasks);
    int blocks = (int) Math.max(1, (cells + cellsPerBlock - 1) / cellsPerBlock);
    // One pointer per gene: small.
    List<CscBlocks.ColumnRange> ranges =
        CscBlocks.columnRanges(m.columnPointers(0, (int) m.cols()), tasks);
    return jsc.parallelize(ranges, ranges.size())
        .flatMapToPair(
            range -> {
              ZarrCounts.Csc csc =
                  (ZarrCounts.Csc) AnnDataZarr.open(file, conf.value().value()).counts(counts);
              return new GenePieces(csc, range, cellsPerBlock);
            })
        .partitionBy(new CscBlocks.BlockPartitioner(blocks))
        .mapPartitionsWithIndex(
            (block, chunks) -> {
              long first = (long) block * cellsPerBlock;
              int count = (int) Math.min(cellsPerBlock, cells - first);
              List<CscBlocks.Chunk> parts = new ArrayList<>();
              chunks.forEachRemaining(t -> parts.add(t._2()));
              CellEntries entries = CscBlocks.assemble(count, parts);
              Reader r = new Reader(AnnDataZarr.open(file, conf.value().value()), counts, fields);
              // The block's rows are made a slice at a time as they are taken.
              return BlockRows.of(
                  List.of(new long[] {first, first + count}).iterator(),
                  ZarrCounts.CELLS_PER_BLOCK,
                  (from, n, out) -> r.rows(from, n, entries.slice((int) (from - first), n), out),
                  null);
            },
            true);
  }

  /** Entries of a CSC matrix per piece, read through one task's gene range. */
  static final int VALUES_PER_PIECE = 1 << 18;

  /** A gene range's chunks by cell block, a piece of genes at a time. */
  private static final class GenePieces implements Iterator<Tuple2<Integer, CscBlocks.Chunk>> {
    private final ZarrCounts.Csc matrix;
    private final CscBlocks.ColumnRange range;
    private final int cellsPerBlock;
    private final long[] indptr;
    private final List<Tuple2<Integer, CscBlocks.Chunk>> pending = new ArrayList<>();
    private int next;

    GenePieces(ZarrCounts.Csc matrix, CscBlocks.ColumnRange range, int cellsPerBlock) {
      this.matrix = matrix;
      this.range = range;
      this.cellsPerBlock = cellsPerBlock;
      this.indptr = matrix.columnPointers(range.first(), range.end() - range.first());
    }

    @Override
    public boolean hasNext() {
      int columns = range.end() - range.first();
      while (pending.isEmpty() && next < columns) {
        int end = CscBlocks.pieceEnd(indptr, next, columns, VALUES_PER_PIECE);
        int n = Math.toIntExact(indptr[end] - indptr[next]);
        int[] cells = new int[n];
        double[] values = new double[n];
        matrix.entries(indptr[next], n, cells, values);
        CscBlocks.split(
            range.first(), indptr, next, end, cells, values, cellsPerBlock, matrix.rows(), pending);
        next = end;
      }
      return !pending.isEmpty();
    }

    @Override
    public Tuple2<Integer, CscBlocks.Chunk> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return pending.remove(pending.size() - 1);
    }
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
      this.matrix = z.counts(counts);
      this.obs = z.obs();
      this.fields = fields;
      this.source = UTF8String.fromString(z.file().uri());
    }

    void read(long first, int count, List<InternalRow> out) {
      rows(first, count, matrix.read(first, count), out);
    }

    /** Cells {@code [first, first + count)} as rows, their counts {@code b}. */
    void rows(long first, int count, CellEntries b, List<InternalRow> out) {
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
