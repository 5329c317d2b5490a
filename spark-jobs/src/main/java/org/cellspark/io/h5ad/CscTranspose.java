package org.cellspark.io.h5ad;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.hdf5.ChunkCursor;
import org.cellspark.io.hdf5.FileDamage;
import org.cellspark.io.hdf5.HdfOpener;
import scala.Tuple2;

/**
 * Turns a CSC matrix (stored gene by gene) into rows per cell with one Spark shuffle, so no task
 * re-reads the whole matrix: map tasks each read a block of genes (a contiguous range of the file)
 * and cut its entries into chunks by cell block; the shuffle brings every chunk of a cell block to
 * one task, which assembles those cells' rows. Each stored value is read once and shuffled once
 * (about 16 bytes: cell, gene, value).
 */
final class CscTranspose {
  private CscTranspose() {}

  /** Entries of one cell block from one read of the file: rows relative to the block's start. */
  record Chunk(int[] rows, int[] genes, double[] values) implements Serializable {}

  /** A contiguous range of genes (columns) to read in one map task. */
  record ColumnRange(int first, int end) implements Serializable {}

  static JavaRDD<InternalRow> rdd(
      JavaSparkContext jsc,
      ScanSpec spec,
      InputFile file,
      HdfOpener opener,
      CountsMatrix.Sparse matrix,
      int cellPartitions,
      int columnTasks) {
    long rows = matrix.rows();
    int cellsPerBlock = (int) Math.max(1, (rows + cellPartitions - 1) / cellPartitions);
    int blocks = (int) Math.max(1, (rows + cellsPerBlock - 1) / cellsPerBlock);
    List<ColumnRange> ranges = columnRanges(matrix, columnTasks);

    return jsc.parallelize(ranges, ranges.size())
        .flatMapToPair(range -> new ChunkIterator(file, opener, spec.counts, range, cellsPerBlock))
        .partitionBy(new BlockPartitioner(blocks))
        .mapPartitionsWithIndex(
            (block, chunks) -> {
              long first = (long) block * cellsPerBlock;
              int cells = (int) Math.min(cellsPerBlock, rows - first);
              List<Chunk> parts = new ArrayList<>();
              chunks.forEachRemaining(t -> parts.add(t._2()));
              return new CellRangeReader(spec, file, opener, assemble(first, cells, parts));
            },
            true);
  }

  /** Splits the columns into {@code tasks} ranges holding about equal numbers of stored values. */
  private static List<ColumnRange> columnRanges(CountsMatrix.Sparse matrix, int tasks) {
    int cols = (int) matrix.cols();
    long[] indptr = matrix.indptr(0, cols); // one entry per gene: small
    long total = indptr[cols];
    long per = Math.max(1, (total + tasks - 1) / Math.max(1, tasks));
    List<ColumnRange> out = new ArrayList<>();
    int first = 0;
    for (int c = 1; c <= cols; c++) {
      if (indptr[c] - indptr[first] >= per || c == cols) {
        out.add(new ColumnRange(first, c));
        first = c;
      }
    }
    if (out.isEmpty()) {
      out.add(new ColumnRange(0, cols));
    }
    return out;
  }

  static CellBlock assemble(long firstRow, int cells, List<Chunk> parts) {
    int[] offsets = new int[cells + 1];
    for (Chunk p : parts) {
      for (int r : p.rows()) {
        offsets[r + 1]++;
      }
    }
    for (int i = 0; i < cells; i++) {
      offsets[i + 1] += offsets[i];
    }
    int[] fill = Arrays.copyOf(offsets, cells);
    int[] genes = new int[offsets[cells]];
    double[] values = new double[offsets[cells]];
    for (Chunk p : parts) {
      for (int k = 0; k < p.rows().length; k++) {
        int at = fill[p.rows()[k]]++;
        genes[at] = p.genes()[k];
        values[at] = p.values()[k];
      }
    }
    // Chunks arrive in no fixed order: sorting by gene makes each row independent of the shuffle.
    return new CellBlock(firstRow, cells, offsets, genes, values).sortedByGene();
  }

  /** Cell block b goes to partition b, so partitions come out in cell order. */
  static final class BlockPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int blocks;

    BlockPartitioner(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public int numPartitions() {
      return blocks;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BlockPartitioner b && b.blocks == blocks;
    }

    @Override
    public int hashCode() {
      return blocks;
    }
  }

  /** Reads a column range a piece at a time, emitting one chunk per cell block per piece. */
  private static final class ChunkIterator implements Iterator<Tuple2<Integer, Chunk>> {
    private final InputFile file;
    private final HdfOpener opener;
    private final CountsLocation counts;
    private final ColumnRange range;
    private final int cellsPerBlock;
    private H5adFile h5;
    private CountsMatrix.Sparse matrix;
    private long[] indptr;
    private ChunkCursor cellCursor;
    private ChunkCursor valueCursor;
    private int nextColumn;
    private final List<Tuple2<Integer, Chunk>> pending = new ArrayList<>();

    ChunkIterator(
        InputFile file,
        HdfOpener opener,
        CountsLocation counts,
        ColumnRange range,
        int cellsPerBlock) {
      this.opener = opener;
      this.file = file;
      this.counts = counts;
      this.range = range;
      this.cellsPerBlock = cellsPerBlock;
      this.nextColumn = range.first();
    }

    @Override
    public boolean hasNext() {
      while (pending.isEmpty() && nextColumn < range.end()) {
        try {
          readPiece();
        } catch (RuntimeException e) {
          if (!FileDamage.isFrom(e)) {
            throw e; // a bug in the reader, not the file
          }
          close();
          throw UserException.because(
              e,
              "Input %s: cannot read genes %,d-%,d of the CSC matrix (%s); the file may be"
                  + " truncated or corrupt",
              file.name(),
              nextColumn,
              range.end() - 1,
              e.getMessage());
        }
      }
      if (pending.isEmpty()) {
        close();
        return false;
      }
      return true;
    }

    @Override
    public Tuple2<Integer, Chunk> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return pending.remove(pending.size() - 1);
    }

    private void readPiece() {
      if (h5 == null) {
        h5 = H5adFile.open(opener, file, counts.modality());
        matrix = (CountsMatrix.Sparse) h5.counts(counts);
        indptr = matrix.indptr(range.first(), range.end() - range.first());
        cellCursor = matrix.indexCursor();
        valueCursor = matrix.valueCursor();
      }
      int i = nextColumn - range.first();
      int j = i + 1;
      while (j < range.end() - range.first()
          && indptr[j + 1] - indptr[i] <= CellRangeReader.MAX_BLOCK_VALUES) {
        j++;
      }
      long from = indptr[i];
      int n = Math.toIntExact(indptr[j] - from);
      int[] cells = new int[n];
      double[] values = new double[n];
      cellCursor.readInts(from, n, cells, 0);
      valueCursor.readDoubles(from, n, values, 0);
      int blocks = (int) ((matrix.rows() + cellsPerBlock - 1) / cellsPerBlock);
      int[] sizes = new int[blocks];
      for (int cell : cells) {
        sizes[cell / cellsPerBlock]++;
      }
      int[][] rows = new int[blocks][];
      int[][] genes = new int[blocks][];
      double[][] vals = new double[blocks][];
      int[] fill = new int[blocks];
      for (int b = 0; b < blocks; b++) {
        if (sizes[b] > 0) {
          rows[b] = new int[sizes[b]];
          genes[b] = new int[sizes[b]];
          vals[b] = new double[sizes[b]];
        }
      }
      int k = 0;
      for (int c = i; c < j; c++) {
        int gene = range.first() + c;
        for (long e = indptr[c]; e < indptr[c + 1]; e++, k++) {
          int b = cells[k] / cellsPerBlock;
          int at = fill[b]++;
          rows[b][at] = cells[k] - b * cellsPerBlock;
          genes[b][at] = gene;
          vals[b][at] = values[k];
        }
      }
      for (int b = 0; b < blocks; b++) {
        if (sizes[b] > 0) {
          pending.add(new Tuple2<>(b, new Chunk(rows[b], genes[b], vals[b])));
        }
      }
      nextColumn = range.first() + j;
    }

    private void close() {
      if (h5 != null) {
        h5.close();
        h5 = null;
      }
    }
  }
}
