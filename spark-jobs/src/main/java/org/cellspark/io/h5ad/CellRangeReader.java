package org.cellspark.io.h5ad;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.hdf5.ChunkCursor;
import org.cellspark.io.hdf5.FileDamage;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * Reads the cells {@code [start, start + count)} of one CSR or dense file, a block at a time: a
 * block is as many consecutive cells as fit {@link #MAX_BLOCK_VALUES} stored values, so memory does
 * not grow with the partition.
 */
final class CellRangeReader implements Iterator<InternalRow>, AutoCloseable {
  /**
   * Stored values per block (~3 MB of indices and doubles, reused): small enough to stay out of
   * G1's humongous allocations on a 1 GB heap, large enough to amortise per-block work.
   */
  static final int MAX_BLOCK_VALUES = 1 << 18;

  /** Cells per block when the matrix is not read (IDs and obs only). */
  static final int CELLS_PER_BLOCK_WITHOUT_MATRIX = 1 << 16;

  private final ScanSpec spec;
  private final InputFile file;
  private final HdfOpener opener;
  private final long start;
  private final long end;
  private final UTF8String source;

  private H5adFile h5;
  private DataFrameGroup obsGroup;
  private CountsMatrix matrix;
  private final CellBlock transposed; // CSC files: the whole range, already assembled by Spark
  private long[] indptr; // CSR: this range's row pointers
  private ChunkCursor indexCursor;
  private ChunkCursor valueCursor;
  private int[] genes = new int[0]; // block buffers, reused block after block
  private double[] values = new double[0];
  private ObsColumn[] obsColumns;

  private long next; // first row of the next block
  private CellBlock block;
  private String[] cellIds;
  private Object[][] obsValues;
  private int cell; // position in the current block

  CellRangeReader(ScanSpec spec, InputFile file, HdfOpener opener, long start, long count) {
    this.spec = spec;
    this.file = file;
    this.opener = opener;
    this.start = start;
    this.end = start + count;
    this.next = start;
    this.source = UTF8String.fromString(file.uri());
    this.transposed = null;
  }

  /** Rows of a range whose counts were assembled elsewhere (see {@link CscTranspose}). */
  CellRangeReader(ScanSpec spec, InputFile file, HdfOpener opener, CellBlock transposed) {
    this.spec = spec;
    this.file = file;
    this.opener = opener;
    this.start = transposed.firstRow();
    this.end = start + transposed.cells();
    this.next = start;
    this.source = UTF8String.fromString(file.uri());
    this.transposed = transposed;
  }

  @Override
  public boolean hasNext() {
    if (block != null && cell < block.cells()) {
      return true;
    }
    if (next >= end) {
      close();
      return false;
    }
    try {
      readBlock();
    } catch (RuntimeException e) {
      if (!FileDamage.isFrom(e)) {
        throw e; // a bug in the reader, not the file
      }
      close();
      HdfOpener.failIfCancelled(file);
      throw UserException.because(
          e,
          "Input %s: cannot read cells %,d-%,d of the counts matrix %s (%s); the file is truncated"
              + " or corrupt: copy it again from its source",
          file.name(),
          next,
          end - 1,
          spec.counts.matrixPath(),
          e.getMessage());
    }
    return true;
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int i = cell++;
    Object[] obs = null;
    if (obsValues != null) {
      obs = new Object[obsValues.length];
      for (int c = 0; c < obs.length; c++) {
        obs[c] = obsValues[c] == null ? null : obsValues[c][i];
      }
    }
    return spec.row(
        cellIds == null ? null : cellIds[i],
        source,
        block.firstRow() + i,
        spec.needsMatrix() ? block : null,
        i,
        obs);
  }

  private void open() {
    h5 = H5adFile.open(opener, file, spec.counts.modality());
    obsGroup = h5.obs();
    if (spec.needsMatrix() && transposed == null) {
      matrix = h5.counts(spec.counts);
      if (matrix instanceof CountsMatrix.Sparse s) {
        indptr = s.indptr(start, (int) (end - start));
        indexCursor = s.indexCursor();
        valueCursor = s.valueCursor();
      }
    }
    if (spec.needsObs()) {
      List<String> fields = spec.obsFields;
      obsColumns = new ObsColumn[fields.size()];
      for (int c = 0; c < obsColumns.length; c++) {
        obsColumns[c] = obsGroup.column(fields.get(c)); // null where this file lacks the column
      }
    }
  }

  private void readBlock() {
    if (h5 == null) {
      open();
    }
    int cells;
    if (transposed != null) {
      cells = (int) (end - start);
      block = transposed;
    } else if (matrix instanceof CountsMatrix.Sparse) {
      int i = (int) (next - start);
      int j = i + 1;
      while (j < end - start && indptr[j + 1] - indptr[i] <= MAX_BLOCK_VALUES) {
        j++;
      }
      cells = j - i;
      long from = indptr[i];
      int n = Math.toIntExact(indptr[j] - from);
      int[] offsets = new int[cells + 1];
      for (int k = 0; k <= cells; k++) {
        offsets[k] = (int) (indptr[i + k] - from);
      }
      if (genes.length < n) {
        genes = new int[n];
        values = new double[n];
      }
      indexCursor.readInts(from, n, genes, 0);
      valueCursor.readDoubles(from, n, values, 0);
      block = new CellBlock(next, cells, offsets, genes, values).sortedByGene();
    } else if (matrix instanceof CountsMatrix.Dense d) {
      cells = (int) Math.min(end - next, Math.max(1, MAX_BLOCK_VALUES / Math.max(1, d.cols())));
      block = nonZeros(next, d.rows(next, cells));
    } else {
      cells = (int) Math.min(end - next, CELLS_PER_BLOCK_WITHOUT_MATRIX);
      block = CellBlock.empty(next, cells);
    }
    cellIds = spec.needsCellIds() ? obsGroup.indexStrings(next, cells) : null;
    if (obsColumns != null) {
      obsValues = new Object[obsColumns.length][];
      for (int c = 0; c < obsColumns.length; c++) {
        obsValues[c] = obsColumns[c] == null ? null : obsColumns[c].read(next, cells);
      }
    }
    next += cells;
    cell = 0;
  }

  private static CellBlock nonZeros(long firstRow, double[][] rows) {
    int total = 0;
    for (double[] r : rows) {
      for (double v : r) {
        if (v != 0) {
          total++;
        }
      }
    }
    int[] offsets = new int[rows.length + 1];
    int[] genes = new int[total];
    double[] values = new double[total];
    int o = 0;
    for (int i = 0; i < rows.length; i++) {
      double[] r = rows[i];
      for (int g = 0; g < r.length; g++) {
        if (r[g] != 0) {
          genes[o] = g;
          values[o++] = r[g];
        }
      }
      offsets[i + 1] = o;
    }
    return new CellBlock(firstRow, rows.length, offsets, genes, values);
  }

  @Override
  public void close() {
    if (h5 != null) {
      h5.close();
      h5 = null;
      obsGroup = null;
    }
  }
}
