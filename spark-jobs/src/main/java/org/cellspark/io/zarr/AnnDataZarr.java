package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.cells.GeneIds;

/**
 * An AnnData object in a zarr store, as {@code anndata.write_zarr} writes it (zarr format 2 or 3):
 * the same layout as an {@code .h5ad} file, groups and arrays as folders and files: {@code obs} and
 * {@code var} dataframes ({@link ZarrFrame}), the counts at {@code X}, {@code raw/X} or {@code
 * layers/<name>}, each a CSR sparse matrix group ({@code data}, {@code indices}, {@code indptr} and
 * a {@code shape} attribute) or a dense 2-D array. Opened on the driver to check it and on each
 * task to read its cells; one instance per task.
 */
public final class AnnDataZarr {
  private final InputFile file;
  private final ZarrStore store;

  private AnnDataZarr(InputFile file, ZarrStore store) {
    this.file = file;
    this.store = store;
  }

  /**
   * Whether the folder at {@code uri} is an AnnData zarr store (its root group says {@code
   * encoding-type} anndata), or a zarr store of any kind the user named with a {@code .zarr} name
   * ({@link #open} then says what is wrong with it).
   */
  static boolean recognises(String uri, Configuration conf) {
    ZarrStore s = ZarrStore.open(uri, uri, conf);
    if (s.isGroup("")) {
      JsonNode a = s.attributes("");
      return a != null && "anndata".equals(a.path("encoding-type").asText())
          || stripSlash(uri).endsWith(".zarr");
    }
    return stripSlash(uri).endsWith(".zarr") && s.exists("obs");
  }

  private static String stripSlash(String uri) {
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  /** Opens the store and checks that it holds AnnData. */
  public static AnnDataZarr open(InputFile file, Configuration conf) {
    ZarrStore store = ZarrStore.open(file.location(), file.name(), conf);
    if (!store.isGroup("")) {
      throw UserException.of(
          "Input %s is not a zarr store (no .zgroup or zarr.json group at its root). Write it with"
              + " anndata (adata.write_zarr), or pass the store's own folder.",
          file.name());
    }
    AnnDataZarr z = new AnnDataZarr(file, store);
    List<String> missing = new ArrayList<>();
    for (String frame : List.of("obs", "var")) {
      if (ZarrFrame.open(store, frame) == null) {
        missing.add(frame);
      }
    }
    List<String> tables = store.isGroup("tables") ? store.children("tables") : List.of();
    if (!missing.isEmpty() && !tables.isEmpty()) {
      // A SpatialData store: its tables are AnnData groups, one folder down.
      String base = file.name().endsWith("/") ? file.name() : file.name() + "/";
      throw UserException.of(
          "Input %s is a SpatialData store, not an AnnData one: its tables are AnnData. Pass one"
              + " of them, e.g. --input %s (tables: %s)",
          file.name(), base + "tables/" + tables.get(0), String.join(", ", tables));
    }
    if (!missing.isEmpty()) {
      throw UserException.of(
          "Input %s is a zarr store but not AnnData as anndata 0.8 or later writes it: it has no"
              + " %s dataframe. Write it with anndata (adata.write_zarr), or read it with anndata"
              + " and write it again.",
          file.name(), String.join(" or ", missing));
    }
    return z;
  }

  public InputFile file() {
    return file;
  }

  ZarrFrame obs() {
    return ZarrFrame.open(store, "obs");
  }

  /** The gene table that belongs to {@code counts} ({@code var}, or {@code raw/var}). */
  ZarrFrame genes(CountsLocation counts) {
    ZarrFrame f = ZarrFrame.open(store, counts.varPath());
    if (f == null) {
      throw UserException.of(
          "Input %s has no gene table at '%s' (needed for --counts %s)",
          file.name(), counts.varPath(), counts);
    }
    return f;
  }

  long cells() {
    return obs().rows();
  }

  /**
   * The gene IDs of the counts' columns: {@code column} of the gene table; when that column is
   * absent and the index holds Ensembl IDs, the index (as CELLxGENE keeps them).
   */
  String[] geneIds(CountsLocation counts, String column) {
    ZarrFrame genes = genes(counts);
    return GeneIds.columnOrIndex(
        file.name(),
        genes.path(),
        column,
        genes.columnNames(),
        genes::allStrings,
        genes::allIndexStrings);
  }

  /** The gene table's {@code column} as strings, or (null) its index. */
  String[] geneStrings(CountsLocation counts, String column, String option) {
    ZarrFrame genes = genes(counts);
    if (column == null) {
      return genes.allIndexStrings();
    }
    if (!genes.hasColumn(column)) {
      throw UserException.of(
          "Input %s: gene table '%s' has no column '%s' (%s); its columns: %s",
          file.name(),
          genes.path(),
          column,
          option,
          genes.columnNames().isEmpty() ? "none" : String.join(", ", genes.columnNames()));
    }
    return genes.allStrings(column);
  }

  /** The counts at {@code counts}, checked against obs and the gene table. */
  ZarrCounts counts(CountsLocation counts) {
    String at = counts.matrixPath();
    ZarrCounts m = ZarrCounts.open(store, at);
    if (m == null) {
      List<String> available = availableCounts();
      throw UserException.of(
          "Input %s has no counts at '%s' (available: %s). %s",
          file.name(), at, String.join(", ", available), CountsLocation.suggestion(available));
    }
    long cells = cells();
    long genes = genes(counts).rows();
    if (m.rows() != cells || m.cols() != genes) {
      throw UserException.of(
          "Input %s: the matrix at '%s' is %,d x %,d but obs has %,d cells and '%s' %,d genes; the"
              + " store is inconsistent",
          file.name(), at, m.rows(), m.cols(), cells, counts.varPath(), genes);
    }
    return m;
  }

  private List<String> availableCounts() {
    List<String> out = new ArrayList<>();
    for (String p : List.of("X", "raw/X")) {
      if (store.isGroup(p) || store.isArray(p)) {
        out.add(p.equals("X") ? "X" : "raw");
      }
    }
    for (String layer : store.children("layers")) {
      out.add("layers/" + layer);
    }
    return out.isEmpty() ? List.of("none") : out;
  }

  /** For summaries: "AnnData zarr store, CSR float32 (blosc lz4), 40 x 20, 123 stored values". */
  String describe(CountsLocation counts) {
    ZarrCounts m = counts(counts);
    return String.format(
        Locale.ROOT,
        "AnnData zarr store, %s at %s, %,d x %,d",
        m.describe(),
        counts,
        m.rows(),
        m.cols());
  }

  ZarrStore store() {
    return store;
  }
}
