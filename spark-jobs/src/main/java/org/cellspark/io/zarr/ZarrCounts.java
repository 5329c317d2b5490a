package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.GeneOrder;

/**
 * An AnnData counts matrix in a zarr store, cells by genes: a CSR sparse matrix group (anndata's
 * {@code csr_matrix} encoding, or the {@code h5sparse_format} attributes of anndata before 0.8) or
 * a dense 2-D array. Read a block of consecutive cells at a time, each cell's entries in ascending
 * gene order. A CSC matrix is refused: reading it cell by cell would read the whole matrix per
 * task.
 */
abstract class ZarrCounts {
  /** Consecutive cells' stored counts: cell i owns entries [offsets[i], offsets[i + 1]). */
  record Block(int[] offsets, int[] genes, double[] values) {}

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

  /** Cells {@code [from, from + n)}. */
  abstract Block read(long from, int n);

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
    JsonNode a = store.json(at + "/.zattrs");
    if (a == null || !store.exists(at + "/.zgroup")) {
      return null;
    }
    String encoding = a.path("encoding-type").asText(a.path("h5sparse_format").asText(""));
    JsonNode shape = a.has("shape") ? a.get("shape") : a.path("h5sparse_shape");
    if (encoding.equals("csc_matrix") || encoding.equals("csc")) {
      throw UserException.of(
          "Input %s: the counts at '%s' are a CSC (gene by gene) sparse matrix; Cellspark reads"
              + " zarr counts cell by cell, as CSR. In Python: adata.X = adata.X.tocsr();"
              + " adata.write_zarr(...) (or write it as .h5ad, whose CSC matrices Cellspark"
              + " reads).",
          store.name(), at);
    }
    if (!(encoding.equals("csr_matrix") || encoding.equals("csr")) || shape.size() != 2) {
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
    return new Csr(shape.get(0).asLong(), shape.get(1).asLong(), data, indices, indptr, store, at);
  }

  private static final class Csr extends ZarrCounts {
    private final ZarrArray data;
    private final ZarrArray indices;
    private final ZarrArray indptr;
    private final ZarrStore store;
    private final String at;

    Csr(
        long rows,
        long cols,
        ZarrArray data,
        ZarrArray indices,
        ZarrArray indptr,
        ZarrStore store,
        String at) {
      super(rows, cols);
      this.data = data;
      this.indices = indices;
      this.indptr = indptr;
      this.store = store;
      this.at = at;
      if (indptr.length(0) != rows + 1) {
        throw UserException.of(
            "Input %s: sparse matrix '%s' has %,d row pointers for %,d cells; the store is"
                + " inconsistent. Copy it again.",
            store.name(), at, indptr.length(0), rows);
      }
    }

    @Override
    String describe() {
      return String.format(Locale.ROOT, "CSR sparse matrix, %,d stored values", data.length(0));
    }

    @Override
    Block read(long from, int n) {
      long[] ptr = indptr.longs(from, n + 1);
      int count = Math.toIntExact(ptr[n] - ptr[0]);
      long[] cols = indices.longs(ptr[0], count);
      double[] values = data.doubles(ptr[0], count);
      int[] genes = new int[count];
      for (int k = 0; k < count; k++) {
        if (cols[k] < 0 || cols[k] >= cols()) {
          throw UserException.of(
              "Input %s: sparse matrix '%s' has a gene index %,d outside its %,d genes; the store"
                  + " is damaged. Copy it again.",
              store.name(), at, cols[k], cols());
        }
        genes[k] = (int) cols[k];
      }
      int[] offsets = new int[n + 1];
      for (int i = 0; i <= n; i++) {
        offsets[i] = (int) (ptr[i] - ptr[0]);
      }
      for (int i = 0; i < n; i++) { // canonical CSR is sorted already; others are allowed
        GeneOrder.sort(genes, values, offsets[i], offsets[i + 1]);
      }
      return new Block(offsets, genes, values);
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

    @Override
    Block read(long from, int n) {
      double[][] rows = values.rows(from, n);
      int total = 0;
      for (double[] r : rows) {
        for (double v : r) {
          total += v != 0 ? 1 : 0;
        }
      }
      int[] offsets = new int[n + 1];
      int[] genes = new int[total];
      double[] out = new double[total];
      int o = 0;
      for (int i = 0; i < n; i++) {
        for (int g = 0; g < rows[i].length; g++) {
          if (rows[i][g] != 0) {
            genes[o] = g;
            out[o++] = rows[i][g];
          }
        }
        offsets[i + 1] = o;
      }
      return new Block(offsets, genes, out);
    }
  }
}
