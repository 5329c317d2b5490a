package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CellEntries;

/**
 * An AnnData counts matrix in a zarr store, cells by genes: a sparse matrix group (anndata's {@code
 * csr_matrix} or {@code csc_matrix} encoding, or the {@code h5sparse_format} attributes of anndata
 * before 0.8) or a dense 2-D array. CSR and dense are read a block of consecutive cells at a time,
 * each cell's entries in ascending gene order; CSC ({@link Csc}) a range of genes at a time, for
 * {@link ZarrCells} to gather into cells with one shuffle.
 */
abstract class ZarrCounts {
  private final long rows;
  private final long cols;

  private ZarrCounts(long rows, long cols) {
    this.rows = rows;
    this.cols = cols;
  }

  long rows() {
    return rows;
  }

  long cols() {
    return cols;
  }

  abstract String describe();

  /** Cells read at once by a task: CSR a fixed block; dense whole chunk rows. */
  int cellsPerBlock() {
    return CELLS_PER_BLOCK;
  }

  static final int CELLS_PER_BLOCK = 1_024;

  /** Where tasks' cell ranges may start: any cell, or (dense) a chunk row's first. */
  long taskAlignment() {
    return 1;
  }

  /** Dense rows read at once at most, whatever the chunks' height. */
  static final int MAX_DENSE_BLOCK = 8_192;

  /** Cells {@code [from, from + n)}. */
  abstract CellEntries read(long from, int n);

  /** The matrix at {@code at}; null when there is none. */
  static ZarrCounts open(ZarrStore store, String at) {
    ZarrArray dense = ZarrArray.open(store, at);
    if (dense != null) {
      if (dense.dimensions() != 2 || dense.isString()) {
        throw UserException.of(
            "Input %s: '%s' is not a matrix of numbers (%s); choose the counts with --counts X,"
                + " raw or layers/<name>.",
            store.name(), at, dense);
      }
      return new Dense(dense);
    }
    JsonNode a = store.isGroup(at) ? store.attributes(at) : null;
    if (a == null) {
      return null;
    }
    String encoding = a.path("encoding-type").asText(a.path("h5sparse_format").asText(""));
    JsonNode shape = a.has("shape") ? a.get("shape") : a.path("h5sparse_shape");
    boolean csc = encoding.equals("csc_matrix") || encoding.equals("csc");
    if (!(csc || encoding.equals("csr_matrix") || encoding.equals("csr")) || shape.size() != 2) {
      throw UserException.of(
          "Input %s: '%s' is a group %s, not a counts matrix; choose the counts with --counts X,"
              + " raw or layers/<name>.",
          store.name(), at, encoding.isEmpty() ? "without an encoding" : "encoded as " + encoding);
    }
    ZarrArray data = ZarrArray.open(store, at + "/data");
    ZarrArray indices = ZarrArray.open(store, at + "/indices");
    ZarrArray indptr = ZarrArray.open(store, at + "/indptr");
    if (data == null || indices == null || indptr == null) {
      throw UserException.of(
          "Input %s: sparse matrix '%s' lacks data, indices or indptr; the store is not complete"
              + " AnnData. Copy it again.",
          store.name(), at);
    }
    long rows = shape.get(0).asLong();
    long cols = shape.get(1).asLong();
    return csc
        ? new Csc(rows, cols, data, indices, indptr, store, at)
        : new Csr(rows, cols, data, indices, indptr, store, at);
  }

  /**
   * CSR or CSC ({@code layout}): the three arrays, checked to hold a pointer per cell (CSR) or per
   * gene (CSC), plus one.
   */
  private abstract static class Sparse extends ZarrCounts {
    final ZarrArray data;
    final ZarrArray indices;
    final ZarrArray indptr;
    private final ZarrStore store;
    private final String at;
    private final String layout;

    Sparse(
        String layout,
        long rows,
        long cols,
        ZarrArray data,
        ZarrArray indices,
        ZarrArray indptr,
        ZarrStore store,
        String at) {
      super(rows, cols);
      this.layout = layout;
      this.data = data;
      this.indices = indices;
      this.indptr = indptr;
      this.store = store;
      this.at = at;
      long pointers = layout.equals("CSR") ? rows : cols;
      if (indptr.length(0) != pointers + 1) {
        throw UserException.of(
            "Input %s: sparse matrix '%s' has %,d %s pointers for %,d %s; the store is"
                + " inconsistent. Copy it again.",
            store.name(),
            at,
            indptr.length(0),
            layout.equals("CSR") ? "row" : "column",
            pointers,
            layout.equals("CSR") ? "cells" : "genes");
      }
    }

    @Override
    String describe() {
      return String.format(
          Locale.ROOT, "%s sparse matrix, %,d stored values", layout, data.length(0));
    }

    /**
     * Indices {@code [from, from + n)}, each checked to name one of {@code bound} {@code what}s
     * ("gene", "cell").
     */
    int[] checkedIndices(long from, int n, long bound, String what) {
      long[] raw = indices.longs(from, n);
      int[] out = new int[n];
      for (int k = 0; k < n; k++) {
        if (raw[k] < 0 || raw[k] >= bound) {
          throw UserException.of(
              "Input %s: sparse matrix '%s' has a %s index %,d outside its %,d %ss; the store"
                  + " is damaged. Copy it again.",
              store.name(), at, what, raw[k], bound, what);
        }
        out[k] = (int) raw[k];
      }
      return out;
    }
  }

  private static final class Csr extends Sparse {
    Csr(
        long rows,
        long cols,
        ZarrArray data,
        ZarrArray indices,
        ZarrArray indptr,
        ZarrStore store,
        String at) {
      super("CSR", rows, cols, data, indices, indptr, store, at);
    }

    @Override
    CellEntries read(long from, int n) {
      long[] ptr = indptr.longs(from, n + 1);
      int count = Math.toIntExact(ptr[n] - ptr[0]);
      int[] genes = checkedIndices(ptr[0], count, cols(), "gene");
      double[] values = data.doubles(ptr[0], count);
      int[] offsets = new int[n + 1];
      for (int i = 0; i <= n; i++) {
        offsets[i] = (int) (ptr[i] - ptr[0]);
      }
      // Canonical CSR is sorted already; others are allowed.
      return new CellEntries(offsets, genes, values).sortedByGene();
    }
  }

  /**
   * A CSC matrix: read by ranges of genes ({@link #columnPointers} and {@link #entries}), each
   * entry's cell checked; reading it by cells is refused (it would read every gene per block).
   */
  static final class Csc extends Sparse {
    Csc(
        long rows,
        long cols,
        ZarrArray data,
        ZarrArray indices,
        ZarrArray indptr,
        ZarrStore store,
        String at) {
      super("CSC", rows, cols, data, indices, indptr, store, at);
    }

    /** Column pointers {@code [first, first + n]} (n + 1 of them). */
    long[] columnPointers(int first, int n) {
      return indptr.longs(first, n + 1);
    }

    /**
     * Entries {@code [from, from + n)}: their cells into {@code cells}, values into {@code values}.
     */
    void entries(long from, int n, int[] cells, double[] values) {
      System.arraycopy(checkedIndices(from, n, rows(), "cell"), 0, cells, 0, n);
      System.arraycopy(data.doubles(from, n), 0, values, 0, n);
    }

    @Override
    CellEntries read(long from, int n) {
      throw new IllegalStateException("a CSC matrix is read by genes (ZarrCells)");
    }
  }

  private static final class Dense extends ZarrCounts {
    private final ZarrArray values;

    Dense(ZarrArray values) {
      super(values.length(0), values.length(1));
      this.values = values;
    }

    @Override
    String describe() {
      return "dense matrix";
    }

    /** Tasks start at chunk rows, so no chunk is decoded by two tasks. */
    @Override
    long taskAlignment() {
      return cellsPerBlock();
    }

    /** A band of whole chunk rows at a time: each chunk is decoded once. */
    @Override
    int cellsPerBlock() {
      return Math.max(1, Math.min(MAX_DENSE_BLOCK, values.rowsPerChunk()));
    }

    @Override
    CellEntries read(long from, int n) {
      int[][] genes = new int[n][];
      double[][] counts = new double[n][];
      int[] sizes = new int[n];
      values.nonZeros(
          from,
          n,
          (row, col, v) -> {
            int k = sizes[row]++;
            if (genes[row] == null || k == genes[row].length) {
              int grown = genes[row] == null ? 64 : 2 * k;
              genes[row] = genes[row] == null ? new int[grown] : Arrays.copyOf(genes[row], grown);
              counts[row] =
                  counts[row] == null ? new double[grown] : Arrays.copyOf(counts[row], grown);
            }
            genes[row][k] = col;
            counts[row][k] = v;
          });
      int[] offsets = new int[n + 1];
      for (int i = 0; i < n; i++) {
        offsets[i + 1] = offsets[i] + sizes[i];
      }
      int[] allGenes = new int[offsets[n]];
      double[] allCounts = new double[offsets[n]];
      for (int i = 0; i < n; i++) {
        if (sizes[i] > 0) { // ascending already: column chunks are visited in order
          System.arraycopy(genes[i], 0, allGenes, offsets[i], sizes[i]);
          System.arraycopy(counts[i], 0, allCounts, offsets[i], sizes[i]);
        }
      }
      return new CellEntries(offsets, allGenes, allCounts);
    }
  }
}
