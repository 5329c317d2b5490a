package org.cellspark.io.tenx;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.exceptions.HdfException;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.hdf5.ChunkCursor;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * A Cell Ranger feature-barcode matrix HDF5 file, in either of the layouts Cell Ranger has written.
 *
 * <ul>
 *   <li>Cell Ranger 3 and later ({@code filtered_feature_bc_matrix.h5}): group {@code matrix} with
 *       {@code data}, {@code indices}, {@code indptr}, {@code shape} (features, cells), {@code
 *       barcodes} and {@code features/{id, name, feature_type, genome}}.
 *   <li>Cell Ranger 1.x and 2.x ({@code filtered_gene_bc_matrices_h5.h5}): one group per genome
 *       (e.g. {@code GRCh38}, or {@code hg19} and {@code mm10} for a mixed-species experiment),
 *       each with {@code data}, {@code indices}, {@code indptr}, {@code shape}, {@code barcodes},
 *       {@code genes} (IDs) and {@code gene_names}; every feature is a gene.
 * </ul>
 *
 * Either way the matrix is compressed by barcode: each cell's genes are contiguous, as in a cells x
 * genes CSR matrix. With several genomes, one is read: the one named by {@code --genome}, and
 * without it the file is refused with the genomes it holds. Opening reads and checks the small
 * datasets; {@link #cursors} reads cells.
 *
 * @param file the input
 * @param group the group holding the matrix: {@code matrix}, or (Cell Ranger 1.x/2.x) the genome's
 * @param genome the genome read, or null when the file does not name genomes
 * @param genes features (rows of the matrix)
 * @param cells barcodes
 * @param stored values stored
 * @param geneIds per feature: its ID, or null for a feature of another type than gene expression
 *     (or of another genome)
 * @param geneNames per feature: its name (the gene symbol), or null as for {@code geneIds}
 * @param barcodes per cell: its barcode
 * @param otherFeatures features left out: of another type (antibody capture, CRISPR guides) or
 *     genome
 */
public record TenxH5(
    InputFile file,
    String group,
    String genome,
    int genes,
    int cells,
    long stored,
    String[] geneIds,
    String[] geneNames,
    String[] barcodes,
    int otherFeatures)
    implements Serializable {

  static final String GENE_EXPRESSION = "Gene Expression";

  /** Cell Ranger 3+'s matrix group. */
  static final String MATRIX = "matrix";

  /**
   * Whether the HDF5 file is a Cell Ranger matrix: a top-level group with indptr and barcodes (and
   * genes, before Cell Ranger 3).
   */
  public static boolean looksLikeTenx(HdfOpener opener, InputFile f) {
    try (HdfFile h = opener.open(f)) {
      return !genomeGroups(h).isEmpty() || isMatrix(h.getChildren().get(MATRIX), false);
    } catch (HdfException
        | UserException
            e) { // not HDF5, or not readable: the caller reports the file as unrecognised
      return false;
    }
  }

  private static boolean isMatrix(Node n, boolean v2) {
    return n instanceof Group g
        && g.getChildren().containsKey("indptr")
        && g.getChildren().containsKey("barcodes")
        && (!v2 || g.getChildren().containsKey("genes"));
  }

  /** Cell Ranger 1.x/2.x: the top-level groups laid out as a genome's matrix. */
  private static List<String> genomeGroups(HdfFile h) {
    List<String> out = new ArrayList<>();
    h.getChildren()
        .forEach(
            (name, n) -> {
              if (isMatrix(n, true)) {
                out.add(name);
              }
            });
    return out;
  }

  /**
   * Where the gene IDs are, for messages: {@code matrix/features/id}, or {@code <genome>/genes}.
   */
  public String idSource() {
    return group.equals(MATRIX) ? "matrix/features/id" : group + "/genes";
  }

  /** Where the gene symbols are, for messages. */
  public String symbolSource() {
    return group.equals(MATRIX) ? "matrix/features/name" : group + "/gene_names";
  }

  /**
   * @param genome the genome to read when the file holds several (Cell Ranger's genome names, e.g.
   *     GRCh38, mm10); null to read the only one
   */
  public static TenxH5 open(HdfOpener opener, InputFile f, String genome) {
    try (HdfFile h = opener.open(f)) {
      List<String> genomes = genomeGroups(h);
      return genomes.isEmpty() ? openV3(h, f, genome) : openV2(h, f, genome, genomes);
    } catch (HdfException e) {
      throw UserException.because(
          e,
          "Input %s is not a readable HDF5 file (%s); check that the copy is complete",
          f.name(),
          e.getMessage());
    }
  }

  private static TenxH5 openV2(HdfFile h, InputFile f, String genome, List<String> genomes) {
    String chosen = chooseGenome(f, genome, genomes);
    Group m = (Group) h.getChildren().get(chosen);
    String[] ids = strings(dataset(m, "genes", f).getData());
    String[] names =
        m.getChildren().containsKey("gene_names")
            ? strings(dataset(m, "gene_names", f).getData())
            : new String[ids.length];
    return checked(f, m, chosen, chosen, ids, names, 0);
  }

  private static TenxH5 openV3(HdfFile h, InputFile f, String genome) {
    Group m = group(h, MATRIX, f);
    Group features = group(m, "features", f);
    String[] ids = strings(dataset(features, "id", f).getData());
    String[] names =
        features.getChildren().containsKey("name")
            ? strings(dataset(features, "name", f).getData())
            : new String[ids.length];
    String[] types =
        features.getChildren().containsKey("feature_type")
            ? strings(dataset(features, "feature_type", f).getData())
            : null;
    String[] genomeOf =
        features.getChildren().containsKey("genome")
            ? strings(dataset(features, "genome", f).getData())
            : null;
    if (types != null && types.length != ids.length
        || genomeOf != null && genomeOf.length != ids.length) {
      throw UserException.of(
          "Input %s: matrix/features has %d ids but %d feature types and %d genomes; the file is"
              + " damaged",
          f.name(),
          ids.length,
          types == null ? ids.length : types.length,
          genomeOf == null ? ids.length : genomeOf.length);
    }
    Set<String> genomes = new LinkedHashSet<>();
    for (int i = 0; i < ids.length; i++) {
      if ((types == null || types[i].equals(GENE_EXPRESSION))
          && genomeOf != null
          && !genomeOf[i].isEmpty()) {
        genomes.add(genomeOf[i]);
      }
    }
    String chosen =
        genomes.isEmpty() && genome == null ? null : chooseGenome(f, genome, List.copyOf(genomes));
    int other = 0;
    for (int i = 0; i < ids.length; i++) {
      boolean expression = types == null || types[i].equals(GENE_EXPRESSION);
      boolean ofGenome = chosen == null || genomeOf == null || genomeOf[i].equals(chosen);
      if (!expression || !ofGenome) {
        ids[i] = null;
        names[i] = null;
        other++;
      }
    }
    return checked(f, m, MATRIX, chosen, ids, names, other);
  }

  /**
   * The genome to read: the one asked for, else the only one; refused with the genomes found
   * otherwise.
   */
  private static String chooseGenome(InputFile f, String genome, List<String> genomes) {
    if (genome == null ? genomes.size() == 1 : genomes.contains(genome)) {
      return genome == null ? genomes.get(0) : genome;
    }
    if (genome == null) {
      throw UserException.of(
          "Input %s is a Cell Ranger matrix of several genomes (%s: a mixed-species experiment);"
              + " choose the one to tokenize with --genome NAME (the vocabulary's organism)",
          f.name(), String.join(", ", genomes));
    }
    throw UserException.of(
        "Input %s is a Cell Ranger matrix with %s, not '%s'; pass one of them to --genome",
        f.name(),
        genomes.isEmpty() ? "no genome names" : "the genomes " + String.join(", ", genomes),
        genome);
  }

  /** The matrix's datasets checked against each other. */
  private static TenxH5 checked(
      InputFile f, Group m, String group, String genome, String[] ids, String[] names, int other) {
    long[] shape = longs(dataset(m, "shape", f).getData());
    if (shape.length != 2) {
      throw UserException.of("Input %s: %s/shape is not (genes, cells)", f.name(), group);
    }
    String[] barcodes = strings(dataset(m, "barcodes", f).getData());
    long[] indptr = longs(dataset(m, "indptr", f).getData());
    long stored = dataset(m, "data", f).getDimensions()[0];
    if (ids.length != shape[0]
        || names.length != ids.length
        || barcodes.length != shape[1]
        || indptr.length != shape[1] + 1
        || indptr[indptr.length - 1] != stored
        || dataset(m, "indices", f).getDimensions()[0] != stored) {
      throw UserException.of(
          "Input %s: %s is inconsistent (shape %d x %d, %d features, %d barcodes, %d indptr entries"
              + " ending at %d, %d values); the file is damaged or not a Cell Ranger matrix",
          f.name(),
          group,
          shape[0],
          shape[1],
          ids.length,
          barcodes.length,
          indptr.length,
          indptr[indptr.length - 1],
          stored);
    }
    return new TenxH5(
        f, group, genome, ids.length, barcodes.length, stored, ids, names, barcodes, other);
  }

  /**
   * An open file's row pointers and cursors over indices and values, for one task's cell ranges.
   */
  public final class Reader implements AutoCloseable {
    private final HdfFile h;
    private final Dataset indptr;
    final ChunkCursor indices;
    final ChunkCursor values;

    Reader(HdfOpener opener) {
      h = opener.open(file);
      Group m = (Group) h.getChildren().get(group);
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
      throw UserException.of(
          "Input %s has no '%s' group: it is not a Cell Ranger feature-barcode matrix .h5"
              + " (top level holds: %s)",
          f.name(), name, String.join(", ", parent.getChildren().keySet()));
    }
    return g;
  }

  private static Dataset dataset(Group parent, String name, InputFile f) {
    Node n = parent.getChildren().get(name);
    if (!(n instanceof Dataset d)) {
      throw UserException.of(
          "Input %s: %s/%s is missing; it is not a Cell Ranger feature-barcode matrix .h5",
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
      out.add(v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(v));
    }
    return out.toArray(new String[0]);
  }
}
