package org.cellspark.io.tenx;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.exceptions.HdfException;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.h5ad.ChunkCursor;
import org.cellspark.io.storage.HdfOpener;

/**
 * A Cell Ranger (v3 or later) feature-barcode matrix HDF5 file, {@code filtered_feature_bc_matrix.h5}:
 * group {@code matrix} with {@code data}, {@code indices}, {@code indptr} (compressed by
 * barcode: each cell's genes are contiguous, as in a cells x genes CSR matrix), {@code shape}
 * (genes, cells), {@code barcodes} and {@code features/{id, name, feature_type}}. Opening it reads
 * and checks the small datasets; {@link #cursors()} reads cells.
 *
 * @param file the input
 * @param genes features (rows of the matrix)
 * @param cells barcodes
 * @param stored values stored
 * @param geneIds per feature: its ID, or null for a feature of another type than gene expression
 * @param geneNames per feature: its name (the gene symbol), or null as for {@code geneIds}
 * @param barcodes per cell: its barcode
 * @param otherFeatures features of another type (antibody capture, CRISPR guides), left out
 */
public record TenxH5(InputFile file, int genes, int cells, long stored, String[] geneIds, String[] geneNames, String[] barcodes,
    int otherFeatures)
    implements Serializable {

  static final String GENE_EXPRESSION = "Gene Expression";

  /** Whether the HDF5 file at {@code path} is a Cell Ranger matrix (a top-level matrix group with indptr). */
  public static boolean looksLikeTenx(HdfOpener opener, InputFile f) {
    try (HdfFile h = opener.open(f)) {
      Node m = h.getChildren().get("matrix");
      return m instanceof Group g && g.getChildren().containsKey("indptr") && g.getChildren().containsKey("barcodes");
    } catch (RuntimeException e) {
      return false;
    }
  }

  public static TenxH5 open(HdfOpener opener, InputFile f) {
    try (HdfFile h = opener.open(f)) {
      Group m = group(h, "matrix", f);
      long[] shape = longs(dataset(m, "shape", f).getData());
      if (shape.length != 2) {
        throw UserException.of("Input %s: matrix/shape is not (genes, cells)", f.name());
      }
      String[] barcodes = strings(dataset(m, "barcodes", f).getData());
      Group features = group(m, "features", f);
      String[] ids = strings(dataset(features, "id", f).getData());
      String[] names = features.getChildren().containsKey("name") ? strings(dataset(features, "name", f).getData())
          : new String[ids.length];
      String[] types = features.getChildren().containsKey("feature_type")
          ? strings(dataset(features, "feature_type", f).getData()) : null;
      long[] indptr = longs(dataset(m, "indptr", f).getData());
      long stored = dataset(m, "data", f).getDimensions()[0];
      if (ids.length != shape[0] || names.length != ids.length || barcodes.length != shape[1] || indptr.length != shape[1] + 1
          || indptr[indptr.length - 1] != stored || dataset(m, "indices", f).getDimensions()[0] != stored) {
        throw UserException.of("Input %s: matrix is inconsistent (shape %d x %d, %d features, %d barcodes, %d indptr entries"
            + " ending at %d, %d values); the file is damaged or not a Cell Ranger matrix", f.name(), shape[0], shape[1],
            ids.length, barcodes.length, indptr.length, indptr[indptr.length - 1], stored);
      }
      int other = 0;
      for (int i = 0; i < ids.length; i++) {
        if (types != null && !types[i].equals(GENE_EXPRESSION)) {
          ids[i] = null;
          names[i] = null;
          other++;
        }
      }
      return new TenxH5(f, ids.length, barcodes.length, stored, ids, names, barcodes, other);
    } catch (HdfException e) {
      throw UserException.of("Input %s is not a readable HDF5 file (%s); check that the copy is complete", f.name(), e.getMessage());
    }
  }

  /** An open file's row pointers and cursors over indices and values, for one task's cell ranges. */
  public final class Reader implements AutoCloseable {
    private final HdfFile h;
    private final Dataset indptr;
    final ChunkCursor indices;
    final ChunkCursor values;

    Reader(HdfOpener opener) {
      h = opener.open(file);
      Group m = (Group) h.getChildren().get("matrix");
      indptr = (Dataset) m.getChild("indptr");
      indices = new ChunkCursor((Dataset) m.getChild("indices"));
      values = new ChunkCursor((Dataset) m.getChild("data"));
    }

    long[] indptr(long from, int count) {
      return longs(indptr.getData(new long[] {from}, new int[] {count + 1}));
    }

    @Override
    public void close() {
      h.close();
    }
  }

  public Reader cursors(HdfOpener opener) {
    return new Reader(opener);
  }

  private static Group group(Group parent, String name, InputFile f) {
    Node n = parent.getChildren().get(name);
    if (!(n instanceof Group g)) {
      throw UserException.of("Input %s has no '%s' group: it is not a Cell Ranger (v3+) feature-barcode matrix .h5"
          + " (top level holds: %s)", f.name(), name, String.join(", ", parent.getChildren().keySet()));
    }
    return g;
  }

  private static Dataset dataset(Group parent, String name, InputFile f) {
    Node n = parent.getChildren().get(name);
    if (!(n instanceof Dataset d)) {
      throw UserException.of("Input %s: %s/%s is missing; it is not a Cell Ranger (v3+) feature-barcode matrix .h5",
          f.name(), parent.getPath(), name);
    }
    return d;
  }

  static long[] longs(Object data) {
    int n = Array.getLength(data);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = ((Number) Array.get(data, i)).longValue();
    }
    return out;
  }

  static String[] strings(Object data) {
    int n = Array.getLength(data);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Object v = Array.get(data, i);
      out.add(v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(v));
    }
    return out.toArray(new String[0]);
  }
}
