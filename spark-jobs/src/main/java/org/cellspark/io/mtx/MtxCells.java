package org.cellspark.io.mtx;

import static org.apache.spark.sql.functions.col;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.spark.InternalRowsRelation;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CellCountsSchema;
import scala.Tuple2;

/**
 * A Matrix Market folder's cells as rows of {@link CellCountsSchema} (cell_id = barcode, no
 * annotations: obs holds the requested columns, all null). One task streams the matrix (a .gz
 * cannot be split; Cell Ranger's files are sorted by cell, so the stream could be cut by cell
 * later) and checks every entry against the header; Spark then gathers each cell's entries.
 */
public final class MtxCells {
  private MtxCells() {}

  /** The cells, and the entries behind them (persisted: release with {@link #release}). */
  public record Read(Dataset<Row> cells, Dataset<Row> entries) {
    public void release() {
      entries.unpersist();
    }
  }

  public static Read read(SparkSession spark, MtxFolder m, StructType obs, int partitions, Configuration conf) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableWritable<Configuration> hadoop = new SerializableWritable<>(conf);
    JavaRDD<Tuple2<Integer, long[]>> stream = jsc.parallelize(List.of(m), 1).flatMap(f -> new Entries(f, hadoop.value()));
    StructType entry = new StructType().add("cell", DataTypes.IntegerType, false).add("gene", DataTypes.IntegerType, false)
        .add("value", DataTypes.DoubleType, false);
    // Read once, checked, kept: the cells are gathered from it and the cell-ID check reads them again.
    Dataset<Row> flat = spark.createDataFrame(stream.map(t -> RowFactory.create(t._1(), (int) t._2()[0], Double.longBitsToDouble(t._2()[1]))), entry)
        .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    long read;
    try {
      read = flat.count();
    } catch (Exception e) { // Spark wraps what the reading task threw (a SparkException, checked in Java)
      flat.unpersist();
      UserException cause = UserException.findIn(e);
      if (cause != null) {
        throw cause;
      }
      throw e;
    }
    if (read != m.entries()) {
      flat.unpersist();
      throw UserException.of("%s/%s declares %,d entries but holds %,d; the file is truncated or its header is wrong",
          m.name(), new Path(m.matrix()).getName(), m.entries(), read);
    }
    int parts = Math.max(1, partitions);
    String[] barcodes = m.barcodes();
    String[] geneIds = m.geneIds(); // null: a feature of another type than gene expression, left out
    String source = m.uri();
    StructType schema = CellCountsSchema.of(obs);
    int obsFields = obs.fields().length;
    JavaRDD<InternalRow> rows = flat.repartition(parts, col("cell")).javaRDD().mapPartitions(it -> {
      // Gather each cell's entries (a partition holds whole cells), then sort them by gene.
      java.util.Map<Integer, List<long[]>> byCell = new java.util.TreeMap<>();
      while (it.hasNext()) {
        Row r = it.next();
        if (geneIds[r.getInt(1)] == null) {
          continue;
        }
        byCell.computeIfAbsent(r.getInt(0), k -> new ArrayList<>()).add(new long[] {r.getInt(1), Double.doubleToLongBits(r.getDouble(2))});
      }
      List<InternalRow> out = new ArrayList<>(byCell.size());
      byCell.forEach((cell, list) -> {
        list.sort((a, b) -> Long.compare(a[0], b[0]));
        int[] genes = new int[list.size()];
        double[] counts = new double[list.size()];
        for (int k = 0; k < genes.length; k++) {
          if (k > 0 && list.get(k)[0] == list.get(k - 1)[0]) {
            throw UserException.of("%s holds cell %d (%s), gene row %d twice; a Matrix Market file stores each entry once",
                m.name(), cell + 1, barcodes[cell], list.get(k)[0] + 1);
          }
          genes[k] = (int) list.get(k)[0];
          counts[k] = Double.longBitsToDouble(list.get(k)[1]);
        }
        out.add(row(barcodes[cell], source, cell, genes, counts, obsFields));
      });
      return out.iterator();
    });
    // Cells with no stored value at all are cells too (as in the h5ad reader: read, then dropped as empty).
    Dataset<Row> present = flat.select(col("cell")).distinct();
    JavaRDD<InternalRow> empty = spark.range(m.cols()).toDF("idx").join(present, col("idx").equalTo(present.col("cell")), "left_anti")
        .javaRDD().map(r -> row(barcodes[(int) r.getLong(0)], source, r.getLong(0), new int[0], new double[0], obsFields));
    // Internal rows straight into the table: an annotation-less obs is an empty struct, which
    // Spark's Row encoder cannot build.
    return new Read(InternalRowsRelation.dataFrame(spark, schema, rows.union(empty).rdd()), flat);
  }

  private static InternalRow row(String cellId, String source, long index, int[] genes, double[] counts, int obsFields) {
    return new GenericInternalRow(new Object[] {UTF8String.fromString(cellId), UTF8String.fromString(source), index,
        UnsafeArrayData.fromPrimitiveArray(genes), UnsafeArrayData.fromPrimitiveArray(counts), new GenericInternalRow(obsFields)});
  }

  /** The matrix's entries, checked: (cell, {gene, value bits}), all 0-based. */
  private static final class Entries implements Iterator<Tuple2<Integer, long[]>> {
    private final MtxFolder m;
    private final BufferedReader reader;
    private final String file;
    private long line;
    private Tuple2<Integer, long[]> next;

    Entries(MtxFolder m, Configuration conf) throws IOException {
      this.m = m;
      Path p = new Path(m.matrix());
      this.file = m.name() + "/" + p.getName();
      this.reader = MtxFolder.open(p.getFileSystem(conf), p);
      String l;
      boolean size = false;
      while (!size && (l = readLine()) != null) {
        size = !l.startsWith("%");
      }
      advance();
    }

    private String readLine() {
      try {
        String l = reader.readLine();
        line++;
        return l;
      } catch (EOFException e) {
        throw UserException.of("%s ends early at line %d (truncated .gz?); copy it again", file, line);
      } catch (IOException e) {
        throw UserException.of("Cannot read %s at line %d: %s", file, line, e.getMessage());
      }
    }

    private void advance() {
      String l;
      while ((l = readLine()) != null && (l.isBlank() || l.startsWith("%"))) {
        // skip
      }
      if (l == null) {
        next = null;
        close();
        return;
      }
      long gene;
      long cell;
      double value;
      try {
        // Three whitespace-separated numbers, parsed by hand: a regex split per line was the
        // reader's main cost.
        int[] at = {0};
        gene = integer(l, at);
        cell = integer(l, at);
        value = number(l, at);
        skipSpace(l, at);
        if (at[0] != l.length()) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw UserException.of("%s line %d: '%s' is not 'gene cell value'", file, line, l.trim());
      }
      if (gene < 1 || gene > m.rows() || cell < 1 || cell > m.cols()) {
        throw UserException.of("%s line %d: entry (%d, %d) is outside the %d x %d matrix its header declares", file, line, gene, cell,
            m.rows(), m.cols());
      }
      next = new Tuple2<>((int) (cell - 1), new long[] {gene - 1, Double.doubleToLongBits(value)});
    }

    private static void skipSpace(String l, int[] at) {
      while (at[0] < l.length() && Character.isWhitespace(l.charAt(at[0]))) {
        at[0]++;
      }
    }

    private static long integer(String l, int[] at) {
      skipSpace(l, at);
      int start = at[0];
      long v = 0;
      while (at[0] < l.length() && l.charAt(at[0]) >= '0' && l.charAt(at[0]) <= '9') {
        v = v * 10 + (l.charAt(at[0]++) - '0');
      }
      if (at[0] == start || at[0] - start > 18) {
        throw new NumberFormatException();
      }
      return v;
    }

    /** An integer the fast way; anything else (1.5, 2e3, -1) through Double.parseDouble. */
    private static double number(String l, int[] at) {
      skipSpace(l, at);
      int start = at[0];
      int end = start;
      while (end < l.length() && !Character.isWhitespace(l.charAt(end))) {
        end++;
      }
      at[0] = end;
      boolean digits = end > start && end - start <= 15;
      for (int i = start; digits && i < end; i++) {
        digits = l.charAt(i) >= '0' && l.charAt(i) <= '9';
      }
      if (!digits) {
        return Double.parseDouble(l.substring(start, end));
      }
      long v = 0;
      for (int i = start; i < end; i++) {
        v = v * 10 + (l.charAt(i) - '0');
      }
      return v;
    }

    private void close() {
      try {
        reader.close();
      } catch (IOException ignored) {
        // read to the end already
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Tuple2<Integer, long[]> next() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      Tuple2<Integer, long[]> out = next;
      advance();
      return out;
    }
  }
}
