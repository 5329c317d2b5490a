package org.cellspark.io.h5ad;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.exceptions.HdfException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.storage.HdfOpener;

/**
 * An AnnData {@code .h5ad} file opened with jHDF: validates the layout and gives access to
 * {@code obs}, the gene table and the counts matrix. Reads are partial (row ranges), so no process
 * holds the whole matrix. Not thread-safe; open one per task.
 */
public final class H5adFile implements AutoCloseable {
  private static final Pattern ENSEMBL = Pattern.compile("^ENS[A-Z]*G\\d{6,}(\\.\\d+)?$");

  private final String name;
  private final HdfFile hdf;

  private H5adFile(String name, HdfFile hdf) {
    this.name = name;
    this.hdf = hdf;
  }

  /**
   * Opens a local h5ad file and checks it is AnnData.
   *
   * @param name how messages name the file (the user's spelling of it)
   */
  public static H5adFile open(Path path, String name) {
    return open(HdfOpener.onDriver(new org.apache.hadoop.conf.Configuration(false)),
        new InputFile(path.toUri().toString(), name));
  }

  /** Opens an h5ad file wherever it is (local or on a Hadoop file system) and checks it is AnnData. */
  public static H5adFile open(HdfOpener opener, InputFile file) {
    String name = file.name();
    HdfFile hdf;
    try {
      hdf = opener.open(file);
    } catch (HdfException | IllegalArgumentException | java.nio.BufferUnderflowException e) {
      throw UserException.of(
          "Input %s is not an HDF5 file (%s). h5ad files are HDF5: check that this is the .h5ad"
              + " itself and not a CSV, loom or zarr export, and that the copy is complete.",
          name, firstLine(e));
    }
    H5adFile f = new H5adFile(name, hdf);
    try {
      f.checkIsAnnData();
    } catch (RuntimeException e) {
      hdf.close();
      throw e;
    }
    return f;
  }

  private void checkIsAnnData() {
    List<String> top;
    try {
      top = new ArrayList<>(hdf.getChildren().keySet());
    } catch (HdfException e) {
      throw UserException.of(
          "Input %s cannot be read as HDF5 (%s); the file is probably truncated or corrupt. Copy it"
              + " again.",
          name, firstLine(e));
    }
    List<String> missing = new ArrayList<>();
    for (String required : List.of("obs", "var")) {
      if (!(hdf.getChildren().get(required) instanceof Group)) {
        missing.add(required);
      }
    }
    if (!missing.isEmpty()) {
      throw UserException.of(
          "Input %s is HDF5 but not AnnData: it has no %s group (top level holds: %s)%s. Write it"
              + " with anndata (adata.write_h5ad) or convert it first.",
          name, String.join(" or ", missing), top.isEmpty() ? "nothing" : String.join(", ", top),
          name.endsWith(".h5") ? ", nor a Cell Ranger matrix (no matrix group with indptr and barcodes)" : "");
    }
  }

  public String name() {
    return name;
  }


  public DataFrameGroup obs() {
    return new DataFrameGroup(name, "obs", (Group) hdf.getChild("obs"));
  }

  /** The gene table that belongs to {@code counts} ({@code var}, or {@code raw/var}). */
  public DataFrameGroup genes(CountsLocation counts) {
    Node n = node(counts.varPath());
    if (!(n instanceof Group g)) {
      throw UserException.of(
          "Input %s has no gene table at '%s' (needed for --counts %s)", name, counts.varPath(), counts);
    }
    return new DataFrameGroup(name, counts.varPath(), g);
  }

  public long cellCount() {
    return obs().rows();
  }

  /**
   * The gene IDs of the counts' columns: {@code column} of the gene table; when that column is
   * absent and the gene table's index holds Ensembl IDs, the index (anndata files from
   * CELLxGENE keep IDs there).
   */
  public String[] geneIds(CountsLocation counts, String column) {
    DataFrameGroup genes = genes(counts);
    if (genes.hasColumn(column)) {
      return genes.allStrings(column);
    }
    String[] index = genes.allIndexStrings();
    if (looksLikeEnsembl(index)) {
      return index;
    }
    throw UserException.of(
        "Input %s: gene ID column '%s' not found in '%s' (columns: %s), and its index does not"
            + " hold Ensembl IDs (first: %s). Pass --gene-id-column with the column that holds"
            + " Ensembl gene IDs.",
        name,
        column,
        genes.path(),
        genes.columnNames().isEmpty() ? "none" : String.join(", ", genes.columnNames()),
        String.join(", ", List.of(index).subList(0, Math.min(3, index.length))));
  }

  /** The gene symbols of the counts' columns: {@code column} of the gene table, or (null) its index. */
  public String[] geneSymbols(CountsLocation counts, String column) {
    DataFrameGroup genes = genes(counts);
    if (column == null) {
      return genes.allIndexStrings();
    }
    if (!genes.hasColumn(column)) {
      throw UserException.of("Input %s: gene symbol column '%s' not found in '%s' (columns: %s); leave out"
          + " --gene-id-column to use the gene table's index", name, column, genes.path(),
          genes.columnNames().isEmpty() ? "none" : String.join(", ", genes.columnNames()));
    }
    return genes.allStrings(column);
  }

  static boolean looksLikeEnsembl(String[] ids) {
    if (ids.length == 0) {
      return false;
    }
    int hits = 0;
    int checked = Math.min(ids.length, 1000);
    for (int i = 0; i < checked; i++) {
      if (ids[i] != null && ENSEMBL.matcher(ids[i].toUpperCase(Locale.ROOT)).matches()) {
        hits++;
      }
    }
    return hits * 2 > checked;
  }

  /** The counts matrix at {@code counts}; checks that its shape matches obs and the gene table. */
  public CountsMatrix counts(CountsLocation counts) {
    Node n = node(counts.matrixPath());
    if (n == null) {
      throw UserException.of(
          "Input %s has no counts at '%s' (available: %s). Choose one with --counts X, raw or"
              + " layers/<name>.",
          name, counts.matrixPath(), String.join(", ", availableCounts()));
    }
    CountsMatrix m = CountsMatrix.of(name, counts.matrixPath(), n);
    long cells = cellCount();
    long genes = genes(counts).rows();
    if (m.rows() != cells || m.cols() != genes) {
      throw UserException.of(
          "Input %s: the matrix at '%s' is %,d x %,d but obs has %,d cells and '%s' %,d genes; the"
              + " file is inconsistent",
          name, counts.matrixPath(), m.rows(), m.cols(), cells, counts.varPath(), genes);
    }
    return m;
  }

  /** Counts locations present in the file, for messages. */
  public List<String> availableCounts() {
    List<String> out = new ArrayList<>();
    if (hdf.getChildren().containsKey("X")) {
      out.add("X");
    }
    if (node("raw/X") != null) {
      out.add("raw");
    }
    if (hdf.getChildren().get("layers") instanceof Group layers) {
      for (String layer : layers.getChildren().keySet()) {
        out.add("layers/" + layer);
      }
    }
    return out.isEmpty() ? List.of("none") : out;
  }

  private Node node(String p) {
    Node current = hdf;
    for (String part : p.split("/")) {
      if (!(current instanceof Group g)) {
        return null;
      }
      current = g.getChildren().get(part);
      if (current == null) {
        return null;
      }
    }
    return current;
  }

  static String stringAttribute(Node node, String attribute) {
    Attribute a = node.getAttribute(attribute);
    if (a == null || a.isEmpty()) {
      return null;
    }
    Object v = a.getData();
    return v instanceof String s ? s : null;
  }

  static Dataset dataset(Group g, String child, String fileName) {
    Node n = g.getChildren().get(child);
    if (!(n instanceof Dataset d)) {
      throw UserException.of(
          "Input %s: sparse matrix '%s' has no '%s' dataset; the file is not complete AnnData",
          fileName, g.getPath(), child);
    }
    return d;
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public void close() {
    hdf.close();
  }
}
