package org.cellspark.io.mtx;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoSerializable;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaPairRDD;
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
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.GeneOrder;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.spark.InternalRowsRelation;
import scala.Tuple2;

/**
 * A Matrix Market folder's cells as rows of {@link CellCountsSchema} (cell_id = barcode, no
 * annotations: obs holds the requested columns, all null). One task streams the matrix (a .gz
 * cannot be split), checks every entry against the header, and cuts the stream into cells as it
 * goes: Cell Ranger writes entries sorted by cell, so each run of one cell's entries is a whole
 * cell, and no shuffle of entries is needed. The cells are kept (serialized, memory and disk) and
 * counted before anything else reads them, so a bad file fails before any output; then one shuffle
 * spreads them over the tasks in contiguous ranges of barcodes, sorted, so the table keeps the
 * input's order. A file not sorted by cell (scipy's mmwrite of a genes x cells CSR matrix, for one)
 * yields pieces of cells; the same shuffle brings each cell's pieces together and they are merged.
 */
public final class MtxCells {
  private MtxCells() {}

  /** The cells, and the kept runs behind them (release with {@link #release}). */
  public record Read(Dataset<Row> cells, JavaRDD<InternalRow> runs) {
    public void release() {
      runs.unpersist(false);
    }
  }

  public static Read read(
      SparkSession spark, MtxFolder m, StructType obs, int partitions, Configuration conf) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableWritable<Configuration> hadoop = new SerializableWritable<>(conf);
    // The folder's gene and barcode arrays (tens of MB for an atlas) go to each executor once, not
    // with every task.
    Broadcast<MtxFolder> folder = jsc.broadcast(m);
    String source = m.uri();
    String name = m.name();
    int obsFields = obs.fields().length;
    List<Split> splits = splits(m, conf, CellsparkSettings.MTX_SPLIT_BYTES.in(spark), partitions);
    boolean oneStream = splits.size() == 1;
    LongAccumulator entries = spark.sparkContext().longAccumulator("Matrix Market entries read");
    JavaRDD<InternalRow> runs =
        jsc.parallelize(splits, splits.size())
            .mapPartitions(
                it ->
                    new Runs(
                        folder.value(), hadoop.value(), it.next(), entries, obsFields, oneStream))
            .persist(StorageLevel.MEMORY_AND_DISK_SER());
    try {
      runs.count();
      if (entries.value() != m.entries()) {
        throw UserException.of(
            "%s/%s declares %,d entries but holds %,d; the file is truncated or its header is"
                + " wrong",
            m.name(), new Path(m.matrix()).getName(), m.entries(), entries.value());
      }
    } catch (
        Exception
            e) { // Spark wraps what the reading task threw (a SparkException, checked in Java)
      runs.unpersist(false);
      UserException cause = UserException.findIn(e);
      if (cause != null) {
        throw cause;
      }
      throw e;
    }
    int parts = Math.max(1, partitions);
    // Runs are whole cells when one stream read a file sorted by cell, pieces of cells otherwise
    // (an unsorted file, byte ranges cutting cells). Either way one shuffle places each cell in
    // its partition of contiguous barcodes, sorted, so that the table keeps the input's order as
    // the other formats do, and merges a cell's pieces as they arrive next to each other.
    JavaPairRDD<Long, Cell> pieces =
        runs.mapToPair(
            r ->
                new Tuple2<>(
                    r.getLong(2),
                    new Cell(r.getArray(3).toIntArray(), r.getArray(4).toDoubleArray())));
    if (splits.size()
        > 1) { // no stream saw the whole file: every cell gets an empty piece, so cells without
      // entries stay
      pieces =
          pieces.union(
              spark
                  .range(0, m.cols(), 1, parts)
                  .toJavaRDD()
                  .mapToPair(c -> new Tuple2<>(c, Cell.EMPTY)));
    }
    JavaRDD<InternalRow> cells =
        pieces
            .repartitionAndSortWithinPartitions(new CellRanges(m.cols(), parts))
            .mapPartitions(
                sorted ->
                    new MergedCells(sorted, folder.value().barcodes(), source, obsFields, name));
    return new Read(
        InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), cells.rdd()), runs);
  }

  /**
   * Partitions of contiguous cells (matrix columns, the barcodes' order): partition p holds cells
   * [p n / P, (p + 1) n / P).
   */
  static final class CellRanges extends Partitioner {
    private final long cells;
    private final int partitions;

    CellRanges(long cells, int partitions) {
      this.cells = Math.max(1, cells);
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    /** The last p with floor(p n / P) <= cell, i.e. floor(((cell + 1) P - 1) / n). */
    @Override
    public int getPartition(Object cell) {
      return (int) Math.min(partitions - 1, (((Long) cell + 1) * partitions - 1) / cells);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CellRanges r && r.cells == cells && r.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(cells) * 31 + partitions;
    }
  }

  /**
   * A partition's pieces, sorted by cell, as one row per cell: a cell's pieces arrive together and
   * are merged.
   */
  private static final class MergedCells implements Iterator<InternalRow> {
    private final Iterator<Tuple2<Long, Cell>> sorted;
    private final String[] barcodes;
    private final String source;
    private final int obsFields;
    private final String name;
    private Tuple2<Long, Cell> pending;

    MergedCells(
        Iterator<Tuple2<Long, Cell>> sorted,
        String[] barcodes,
        String source,
        int obsFields,
        String name) {
      this.sorted = sorted;
      this.barcodes = barcodes;
      this.source = source;
      this.obsFields = obsFields;
      this.name = name;
      this.pending = sorted.hasNext() ? sorted.next() : null;
    }

    @Override
    public boolean hasNext() {
      return pending != null;
    }

    @Override
    public InternalRow next() {
      if (pending == null) {
        throw new NoSuchElementException();
      }
      long cell = pending._1();
      Cell merged = pending._2();
      pending = null;
      while (sorted.hasNext()) {
        Tuple2<Long, Cell> t = sorted.next();
        if (t._1() != cell) {
          pending = t;
          break;
        }
        merged = merged.merge(t._2());
      }
      return merged.row(barcodes, source, (int) cell, obsFields, name);
    }
  }

  /**
   * Lines starting in bytes [start, end) of the matrix file; the whole stream when {@code whole}.
   */
  record Split(long start, long end, boolean whole) implements Serializable {}

  /**
   * A .gz cannot be split: one task streams it. An uncompressed file of more than {@code
   * splitBytes} ({@code spark.cellspark.mtx.splitBytes}) is cut into byte ranges of about equal
   * size, one per partition asked for, at most one per {@code splitBytes}, at least two.
   */
  static List<Split> splits(MtxFolder m, Configuration conf, long splitBytes, int partitions) {
    Path p = new Path(m.matrix());
    long length;
    try {
      length = p.getFileSystem(conf).getFileStatus(p).getLen();
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", m.matrix(), e.getMessage());
    }
    if (p.getName().endsWith(".gz") || length <= splitBytes) {
      return List.of(new Split(0, Long.MAX_VALUE, true));
    }
    int n = (int) Math.min(Math.max(partitions, 1), (length + splitBytes - 1) / splitBytes);
    n = Math.max(n, 2);
    List<Split> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Split(length * i / n, length * (i + 1) / n, false));
    }
    return out;
  }

  /**
   * A cell's entries (gene rows, values) while runs of it are merged: what the Matrix Market
   * shuffle carries, one per cell or piece, so it has a compact form of its own under Kryo (a class
   * rather than a record: Spark's Kryo cannot build records field by field).
   */
  static final class Cell implements Serializable, KryoSerializable {
    private static final long serialVersionUID = 1L;
    static final Cell EMPTY = new Cell(new int[0], new double[0]);
    private int[] genes;
    private double[] values;

    Cell(int[] genes, double[] values) {
      this.genes = genes;
      this.values = values;
    }

    int[] genes() {
      return genes;
    }

    double[] values() {
      return values;
    }

    @Override
    public void write(Kryo kryo, Output out) {
      out.writeVarInt(genes.length, true);
      out.writeInts(genes);
      out.writeDoubles(values);
    }

    @Override
    public void read(Kryo kryo, Input in) {
      int n = in.readVarInt(true);
      genes = in.readInts(n);
      values = in.readDoubles(n);
    }

    Cell merge(Cell o) {
      int[] g = Arrays.copyOf(genes, genes.length + o.genes.length);
      double[] v = Arrays.copyOf(values, values.length + o.values.length);
      System.arraycopy(o.genes, 0, g, genes.length, o.genes.length);
      System.arraycopy(o.values, 0, v, values.length, o.values.length);
      return new Cell(g, v);
    }

    InternalRow row(String[] barcodes, String source, int cell, int obsFields, String name) {
      Cell sorted = sortedByGene(genes, values, genes.length);
      sorted.refuseRepeats(name, cell, barcodes);
      return MtxCells.row(barcodes[cell], source, cell, sorted.genes, sorted.values, obsFields);
    }

    /** A whole cell, sorted by gene, must hold each gene once. */
    void refuseRepeats(String name, int cell, String[] barcodes) {
      for (int k = 1; k < genes.length; k++) {
        if (genes[k] == genes[k - 1]) {
          throw UserException.of(
              "%s holds cell %d (%s), gene row %d twice; a Matrix Market file stores each entry"
                  + " once",
              name, cell + 1, barcodes[cell], genes[k] + 1);
        }
      }
    }
  }

  /**
   * The first {@code n} entries, copied and sorted by gene (insertion order kept for equal genes).
   */
  static Cell sortedByGene(int[] genes, double[] values, int n) {
    int[] g = Arrays.copyOf(genes, n);
    double[] v = Arrays.copyOf(values, n);
    GeneOrder.sort(g, v, 0, n);
    return new Cell(g, v);
  }

  private static InternalRow row(
      String cellId, String source, long index, int[] genes, double[] counts, int obsFields) {
    return new GenericInternalRow(
        new Object[] {
          UTF8String.fromString(cellId),
          UTF8String.fromString(source),
          index,
          UnsafeArrayData.fromPrimitiveArray(genes),
          UnsafeArrayData.fromPrimitiveArray(counts),
          new GenericInternalRow(obsFields)
        });
  }

  /**
   * The matrix's entries cut into runs of one cell (a whole cell when the file is sorted by cell),
   * gene-expression features only, sorted by gene; then an empty row for every cell that had no
   * entry. Checks each entry against the header and, at the end, the number of entries.
   */
  private static final class Runs implements Iterator<InternalRow> {
    private final MtxFolder m;
    private final Entries entries;
    private final LongAccumulator entriesRead;
    private final boolean emitEmpty;
    private final int obsFields;
    private final String source;
    private final BitSet seen = new BitSet();
    private boolean repeated;
    private int[] genes = new int[4096];
    private double[] values = new double[4096];
    private long count;
    private int emptyFrom = -1;
    private InternalRow next;

    /**
     * @param emitEmpty whether this stream is the only one (it then knows which cells had no entry)
     */
    Runs(
        MtxFolder m,
        Configuration conf,
        Split split,
        LongAccumulator entriesRead,
        int obsFields,
        boolean emitEmpty)
        throws IOException {
      this.m = m;
      this.entries = new Entries(m, conf, split);
      this.entriesRead = entriesRead;
      this.emitEmpty = emitEmpty;
      this.obsFields = obsFields;
      this.source = m.uri();
      advance();
    }

    private void advance() {
      next = null;
      while (next == null && entries.hasNext()) {
        int cell = entries.cell();
        int n = 0;
        while (entries.hasNext() && entries.cell() == cell) {
          count++;
          if (m.geneIds()[entries.gene()] != null) {
            if (n == genes.length) {
              genes = Arrays.copyOf(genes, n * 2);
              values = Arrays.copyOf(values, n * 2);
            }
            genes[n] = entries.gene();
            values[n++] = entries.value();
          }
          entries.advance();
        }
        if (seen.get(cell)) {
          repeated = true;
        }
        seen.set(cell);
        Cell c = sortedByGene(genes, values, n);
        if (!repeated) { // fail early while the file is read; merged runs are checked once merged
          c.refuseRepeats(m.name(), cell, m.barcodes());
        }
        next = row(m.barcodes()[cell], source, cell, c.genes(), c.values(), obsFields);
      }
      if (next != null) {
        return;
      }
      if (emptyFrom < 0) {
        entriesRead.add(count);
        if (!emitEmpty) {
          return; // with several streams, the merge adds the cells no stream met
        }
        emptyFrom = 0;
      }
      // Cells with no stored value at all are cells too (as in the h5ad reader: read, then dropped
      // as empty).
      int empty = seen.nextClearBit(emptyFrom);
      if (empty < m.cols()) {
        emptyFrom = empty + 1;
        next = row(m.barcodes()[empty], source, empty, new int[0], new double[0], obsFields);
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public InternalRow next() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      InternalRow out = next;
      advance();
      return out;
    }
  }

  /**
   * The matrix's entries, checked, one at a time: cell, gene (0-based) and value of the current
   * one.
   */
  private static final class Entries {
    private final MtxFolder m;
    private final ByteLines reader;
    private final String file;
    private final Split split;

    /** Line number (whole streams) or -1 (byte ranges: messages give the byte offset instead). */
    private long line;

    private long lineStart;
    private boolean hasNext;
    private int cell;
    private int gene;
    private double value;

    Entries(MtxFolder m, Configuration conf, Split split) throws IOException {
      this.m = m;
      this.split = split;
      Path p = new Path(m.matrix());
      this.file = m.name() + "/" + p.getName();
      FSDataInputStream raw = p.getFileSystem(conf).open(p);
      if (split.whole()) {
        this.reader =
            new ByteLines(p.getName().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw, 0);
      } else {
        // As Hadoop's line reader: a range owns the lines that start in it, so start one byte
        // early and drop the (partial or empty) line that ends there.
        raw.seek(Math.max(0, split.start() - 1));
        this.reader = new ByteLines(raw, Math.max(0, split.start() - 1));
        this.line = -1;
        if (split.start() > 0) {
          readLine();
        }
      }
      if (split.start() == 0) {
        String l;
        boolean size = false;
        while (!size && (l = readLine()) != null) {
          size = !l.startsWith("%");
        }
      }
      advance();
    }

    private String where() {
      return line >= 0 ? "line " + line : "the line at byte " + lineStart;
    }

    private String readLine() {
      try {
        lineStart = reader.position();
        if (!split.whole() && lineStart >= split.end()) {
          return null; // the next range's line
        }
        String l = reader.next();
        if (line >= 0) {
          line++;
        }
        return l;
      } catch (EOFException e) {
        throw UserException.because(
            e,
            "%s ends early at %s (truncated .gz?); copy it again",
            file,
            line >= 0 ? "line " + line : where());
      } catch (IOException e) {
        throw UserException.because(e, "Cannot read %s at %s: %s", file, where(), e.getMessage());
      }
    }

    void advance() {
      String l;
      while ((l = readLine()) != null && (l.isBlank() || l.startsWith("%"))) {
        // skip
      }
      if (l == null) {
        hasNext = false;
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
        throw UserException.because(
            e, "%s %s: '%s' is not 'gene cell value'", file, where(), l.trim());
      }
      if (gene < 1 || gene > m.rows() || cell < 1 || cell > m.cols()) {
        throw UserException.of(
            "%s %s: entry (%d, %d) is outside the %d x %d matrix its header declares",
            file, where(), gene, cell, m.rows(), m.cols());
      }
      this.cell = (int) (cell - 1);
      this.gene = (int) (gene - 1);
      this.value = value;
      hasNext = true;
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

    boolean hasNext() {
      return hasNext;
    }

    int cell() {
      return cell;
    }

    int gene() {
      return gene;
    }

    double value() {
      return value;
    }
  }
}
