package org.cellspark.io.h5ad;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellEntries;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.cells.CscBlocks;
import org.cellspark.io.cells.CscBlocks.Chunk;
import org.cellspark.io.cells.CscBlocks.ColumnRange;
import org.cellspark.io.hdf5.ChunkCursor;
import org.cellspark.io.hdf5.FileDamage;
import org.cellspark.io.hdf5.HdfOpener;
import scala.Tuple2;

/**
 * Turns an h5ad CSC matrix (stored gene by gene) into rows per cell with one Spark shuffle ({@link
 * CscBlocks}): map tasks read ranges of genes through jHDF's cursors; the cell blocks' tasks add
 * the obs columns ({@link CellRangeReader}).
 */
final class CscTranspose {
  private CscTranspose() {}

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
    // One entry per gene: small.
    List<ColumnRange> ranges =
        CscBlocks.columnRanges(matrix.indptr(0, (int) matrix.cols()), columnTasks);

    return jsc.parallelize(ranges, ranges.size())
        .flatMapToPair(range -> new ChunkIterator(file, opener, spec.counts, range, cellsPerBlock))
        .partitionBy(new CscBlocks.BlockPartitioner(blocks))
        .mapPartitionsWithIndex(
            (block, chunks) -> {
              long first = (long) block * cellsPerBlock;
              int cells = (int) Math.min(cellsPerBlock, rows - first);
              List<Chunk> parts = new ArrayList<>();
              chunks.forEachRemaining(t -> parts.add(t._2()));
              CellEntries e = CscBlocks.assemble(cells, parts);
              return new CellRangeReader(
                  spec,
                  file,
                  opener,
                  new CellBlock(first, cells, e.offsets(), e.genes(), e.values()));
            },
            true);
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
      int j =
          CscBlocks.pieceEnd(
              indptr, i, range.end() - range.first(), CellRangeReader.MAX_BLOCK_VALUES);
      long from = indptr[i];
      int n = Math.toIntExact(indptr[j] - from);
      int[] cells = new int[n];
      double[] values = new double[n];
      cellCursor.readInts(from, n, cells, 0);
      valueCursor.readDoubles(from, n, values, 0);
      CscBlocks.split(
          range.first(), indptr, i, j, cells, values, cellsPerBlock, matrix.rows(), pending);
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
