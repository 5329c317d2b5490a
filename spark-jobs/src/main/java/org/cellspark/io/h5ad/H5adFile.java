package org.cellspark.io.h5ad;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.exceptions.HdfException;
import java.nio.BufferUnderflowException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.cells.GeneIds;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * An AnnData {@code .h5ad} file opened with jHDF: validates the layout and gives access to {@code
 * obs}, the gene table and the counts matrix. Reads are partial (row ranges), so no process holds
 * the whole matrix. Not thread-safe; open one per task.
 *
 * <p>Besides anndata's current layout it reads the one anndata 0.6 and earlier wrote (obs and var
 * as compound datasets, see {@link DataFrameGroup}) and a MuData file's modality: MuData keeps one
 * AnnData per modality under {@code mod/<name>}, and everything here is then relative to it.
 */
public final class H5adFile implements AutoCloseable {
  /** The modality read from a MuData file when none is named. */
  public static final String DEFAULT_MODALITY = "rna";

  private final String name;
  private final HdfFile hdf;

  /** The AnnData's group: the file itself, or {@code mod/<modality>} of a MuData file. */
  private final Group root;

  private final String modality;

  private H5adFile(String name, HdfFile hdf, Group root, String modality) {
    this.name = name;
    this.hdf = hdf;
    this.root = root;
    this.modality = modality;
  }

  /**
   * Opens a local h5ad file and checks it is AnnData.
   *
   * @param name how messages name the file (the user's spelling of it)
   */
  public static H5adFile open(Path path, String name) {
    return open(
        HdfOpener.onDriver(new Configuration(false)), new InputFile(path.toUri().toString(), name));
  }

  /**
   * Opens an h5ad file wherever it is (local or on a Hadoop file system) and checks it is AnnData.
   */
  public static H5adFile open(HdfOpener opener, InputFile file) {
    return open(opener, file, null);
  }

  /**
   * As {@link #open(HdfOpener, InputFile)}; a MuData file's modality {@code modality} (null: rna)
   * is read as its AnnData.
   */
  public static H5adFile open(HdfOpener opener, InputFile file, String modality) {
    String name = file.name();
    HdfFile hdf;
    try {
      hdf = opener.open(file);
    } catch (HdfException | IllegalArgumentException | BufferUnderflowException e) {
      throw UserException.because(
          e,
          "Input %s is not an HDF5 file (%s). h5ad files are HDF5: check that this is the .h5ad"
              + " itself and not a CSV, loom or zarr export, and that the copy is complete.",
          name,
          firstLine(e));
    }
    try {
      Group root = hdf;
      String chosen = null;
      if (isMuData(name, hdf)) {
        chosen = modality == null ? DEFAULT_MODALITY : modality;
        root = modality(name, hdf, chosen, modality != null);
      }
      H5adFile f =
          new H5adFile(
              chosen == null ? name : name + " (modality " + chosen + ")", hdf, root, chosen);
      f.checkIsAnnData();
      return f;
    } catch (RuntimeException e) {
      hdf.close();
      throw e;
    }
  }

  /**
   * MuData: the root says so ({@code encoding-type} MuData), or it holds AnnData groups under
   * {@code mod}.
   */
  private static boolean isMuData(String name, HdfFile hdf) {
    Map<String, Node> top;
    try {
      top = hdf.getChildren();
    } catch (HdfException e) {
      return false; // checkIsAnnData reports the unreadable file
    }
    return "MuData".equals(stringAttribute(hdf, "encoding-type"))
        || top.get("mod") instanceof Group && !top.containsKey("X") && name.endsWith(".h5mu");
  }

  private static Group modality(String name, HdfFile hdf, String chosen, boolean asked) {
    Node mod = hdf.getChildren().get("mod");
    List<String> found =
        mod instanceof Group g ? new ArrayList<>(g.getChildren().keySet()) : List.of();
    Node n = mod instanceof Group g ? g.getChildren().get(chosen) : null;
    if (!(n instanceof Group g)) {
      throw UserException.of(
          "Input %s is a MuData file with the modalities %s and %s; choose the one holding gene"
              + " expression counts with --modality NAME",
          name,
          found.isEmpty() ? "(none)" : String.join(", ", found),
          asked
              ? "no modality '" + chosen + "'"
              : "no '" + DEFAULT_MODALITY + "' modality (the default)");
    }
    return g;
  }

  /** The MuData modality this file reads, or null for a plain AnnData file. */
  public String modality() {
    return modality;
  }

  private void checkIsAnnData() {
    List<String> top;
    try {
      top = new ArrayList<>(root.getChildren().keySet());
    } catch (HdfException e) {
      throw UserException.because(
          e,
          "Input %s cannot be read as HDF5 (%s); the file is probably truncated or corrupt. Copy it"
              + " again.",
          name,
          firstLine(e));
    }
    List<String> missing = new ArrayList<>();
    for (String required : List.of("obs", "var")) {
      if (!DataFrameGroup.isDataFrame(root.getChildren().get(required))) {
        missing.add(required);
      }
    }
    if (!missing.isEmpty()) {
      throw UserException.of(
          "Input %s is HDF5 but not AnnData: it has no %s dataframe (top level holds: %s)%s. Write"
              + " it with anndata (adata.write_h5ad) or convert it first.",
          name,
          String.join(" or ", missing),
          top.isEmpty() ? "nothing" : String.join(", ", top),
          name.endsWith(".h5")
              ? ", nor a Cell Ranger matrix (no matrix group, nor a genome group, with indptr and"
                  + " barcodes)"
              : "");
    }
  }

  public String name() {
    return name;
  }

  public DataFrameGroup obs() {
    return DataFrameGroup.of(name, "obs", root.getChildren().get("obs"), uns());
  }

  /** The gene table that belongs to {@code counts} ({@code var}, or {@code raw/var}). */
  public DataFrameGroup genes(CountsLocation counts) {
    Node n = node(counts.varPath());
    if (!DataFrameGroup.isDataFrame(n)) {
      throw UserException.of(
          "Input %s has no gene table at '%s' (needed for --counts %s)",
          name, counts.varPath(), counts);
    }
    return DataFrameGroup.of(name, counts.varPath(), n, uns());
  }

  /**
   * {@code uns}, where anndata 0.6 kept the categories of compound dataframes' columns; or null.
   */
  private Group uns() {
    return root.getChildren().get("uns") instanceof Group g ? g : null;
  }

  public long cellCount() {
    return obs().rows();
  }

  /**
   * The gene IDs of the counts' columns: {@code column} of the gene table; when that column is
   * absent and the gene table's index holds Ensembl IDs, the index (anndata files from CELLxGENE
   * keep IDs there).
   */
  public String[] geneIds(CountsLocation counts, String column) {
    DataFrameGroup genes = genes(counts);
    return GeneIds.columnOrIndex(
        name, genes.path(), column, genes.columnNames(), genes::allStrings, genes::allIndexStrings);
  }

  /**
   * The gene symbols of the counts' columns: {@code column} of the gene table, or (null) its index.
   */
  public String[] geneSymbols(CountsLocation counts, String column) {
    DataFrameGroup genes = genes(counts);
    if (column == null) {
      return genes.allIndexStrings();
    }
    if (!genes.hasColumn(column)) {
      throw UserException.of(
          "Input %s: gene symbol column '%s' not found in '%s' (columns: %s); leave out"
              + " --gene-id-column to use the gene table's index",
          name,
          column,
          genes.path(),
          genes.columnNames().isEmpty() ? "none" : String.join(", ", genes.columnNames()));
    }
    return genes.allStrings(column);
  }

  /** The counts matrix at {@code counts}; checks that its shape matches obs and the gene table. */
  public CountsMatrix counts(CountsLocation counts) {
    Node n = node(counts.matrixPath());
    if (n == null || isNull(n)) {
      List<String> available = availableCounts();
      throw UserException.of(
          "Input %s has no counts at '%s'%s (available: %s). %s",
          name,
          counts.matrixPath(),
          n == null ? "" : " (it is empty: anndata 0.12 and later write X=None so)",
          String.join(", ", available),
          CountsLocation.suggestion(available));
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

  /** anndata's "null" element: what it writes for an AnnData whose X is None. */
  private static boolean isNull(Node n) {
    return "null".equals(stringAttribute(n, "encoding-type"));
  }

  /** Counts locations present in the file, for messages. */
  public List<String> availableCounts() {
    List<String> out = new ArrayList<>();
    Node x = root.getChildren().get("X");
    if (x != null && !isNull(x)) {
      out.add("X");
    }
    if (node("raw/X") != null) {
      out.add("raw");
    }
    if (root.getChildren().get("layers") instanceof Group layers) {
      for (String layer : layers.getChildren().keySet()) {
        out.add("layers/" + layer);
      }
    }
    return out.isEmpty() ? List.of("none") : out;
  }

  private Node node(String p) {
    Node current = root;
    for (String part : p.split("/", -1)) {
      if (part.isEmpty()) {
        continue; // "a//b", "/a", "a/": HDF5 paths name the same object
      }
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
