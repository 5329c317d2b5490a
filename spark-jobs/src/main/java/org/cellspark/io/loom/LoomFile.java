package org.cellspark.io.loom;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.exceptions.HdfException;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.h5ad.ObsColumn;
import org.cellspark.io.hdf5.ArrayConversions;
import org.cellspark.io.hdf5.HdfOpener;
import org.cellspark.io.hdf5.NumericDecoder;

/**
 * A loom file (Geneformer's original input format, loompy's layout): {@code /matrix} is genes x
 * cells, dense, usually gzip-compressed in 64 x 64 chunks; {@code /row_attrs} holds per-gene
 * datasets (gene IDs in {@code ensembl_id}, or loompy's {@code Accession}); {@code /col_attrs}
 * holds per-cell ones ({@code CellID}, {@code n_counts}, {@code filter_pass}, annotations). Opening
 * reads and checks the small datasets on the driver; {@link #reader()} reads blocks of cells on
 * executors.
 *
 * @param file the input
 * @param genes rows of the matrix
 * @param cells columns of the matrix
 * @param geneIds per row: its gene ID
 * @param geneIdAttribute the row attribute the IDs came from
 * @param symbols per row: its symbol (loompy's {@code Gene} attribute), or null without one
 * @param cellIdAttribute the column attribute naming cells, or null (cells are then named by column
 *     number)
 * @param columns readable per-cell attributes and their kinds, in file order
 * @param matrixPath the counts read: {@code matrix}, or {@code layers/NAME} ({@code --counts
 *     layers/NAME})
 * @param chunkCells cells per chunk column (the reading block); 0 for an unchunked matrix
 * @param describe the matrix's type and storage, for the job summary
 */
public record LoomFile(
    InputFile file,
    int genes,
    int cells,
    String[] geneIds,
    String geneIdAttribute,
    String[] symbols,
    String cellIdAttribute,
    Map<String, ColumnKind> columns,
    String matrixPath,
    int chunkCells,
    String describe)
    implements Serializable {

  /** loompy's name for gene IDs, tried after the tokenizer's gene ID column. */
  static final String ACCESSION = "Accession";

  /** loompy's name for gene symbols. */
  static final String GENE = "Gene";

  /** loompy's name for cell IDs. */
  static final String CELL_ID = "CellID";

  /** Cells per block when the matrix is not chunked. */
  static final int UNCHUNKED_BLOCK = 256;

  /** Cells per block read: a chunk column, so every chunk is inflated once. */
  public int blockCells() {
    return chunkCells > 0 ? chunkCells : UNCHUNKED_BLOCK;
  }

  public static boolean isLoom(String uri) {
    return uri.endsWith(".loom");
  }

  /**
   * Opens and checks {@code f}; gene IDs from row attribute {@code geneIdAttribute}, else loompy's
   * {@code Accession}; null = gene symbols, from loompy's {@code Gene}.
   */
  public static LoomFile open(
      HdfOpener opener, InputFile f, String geneIdAttribute, CountsLocation counts) {
    String matrixPath = counts.equals(CountsLocation.X) ? "matrix" : counts.matrixPath();
    if (matrixPath.startsWith("raw")) {
      throw UserException.of(
          "Input %s is a loom file, which has no raw counts; use --counts X (its main matrix) or"
              + " layers/<name>",
          f.name());
    }
    try (HdfFile h = opener.open(f)) {
      if (!(h.getChildren().get("matrix") instanceof Dataset)) {
        throw UserException.of(
            "Input %s is not a loom file: it has no /matrix dataset (top level holds: %s)",
            f.name(), String.join(", ", h.getChildren().keySet()));
      }
      Node m = node(h, matrixPath);
      if (!(m instanceof Dataset matrix) || matrix.getDimensions().length != 2) {
        throw UserException.of(
            "Input %s has no 2-D /%s dataset for --counts %s (layers: %s)",
            f.name(),
            matrixPath,
            counts,
            h.getChildren().get("layers") instanceof Group g && !g.getChildren().isEmpty()
                ? String.join(", ", g.getChildren().keySet())
                : "none");
      }
      if (matrix.getJavaType() == null
          || !(Number.class.isAssignableFrom(boxed(matrix.getJavaType())))) {
        throw UserException.of(
            "Input %s: /matrix holds %s values, not numbers", f.name(), matrix.getJavaType());
      }
      int genes = matrix.getDimensions()[0];
      int cells = matrix.getDimensions()[1];
      Group rows = group(h, "row_attrs", f);
      Group cols = group(h, "col_attrs", f);
      boolean symbols = geneIdAttribute == null;
      String wanted = symbols ? GENE : geneIdAttribute;
      String idAttr =
          rows.getChildren().containsKey(wanted)
              ? wanted
              : !symbols && rows.getChildren().containsKey(ACCESSION) ? ACCESSION : null;
      String holds =
          rows.getChildren().isEmpty() ? "nothing" : String.join(", ", rows.getChildren().keySet());
      if (idAttr == null && symbols) {
        throw UserException.of(
            "Input %s (loom) has no gene symbols: row_attrs holds %s, but not '%s'. Pass"
                + " --gene-id-column with the row attribute that holds them",
            f.name(), holds, GENE);
      }
      if (idAttr == null) {
        throw UserException.of(
            "Input %s (loom) has no gene IDs: row_attrs holds %s, but neither '%s' nor '%s'. Add"
                + " the genes' Ensembl IDs as a row attribute (in Python: ds.ra['ensembl_id'] ="
                + " ids) or pass --gene-id-column with the row attribute that holds them (or"
                + " --gene-id-type symbol for gene symbols)",
            f.name(), holds, geneIdAttribute, ACCESSION);
      }
      String[] ids = strings((Dataset) rows.getChild(idAttr), f, "row_attrs/" + idAttr, genes);
      String[] geneSymbols =
          rows.getChildren().containsKey(GENE) && !GENE.equals(idAttr)
              ? strings((Dataset) rows.getChild(GENE), f, "row_attrs/" + GENE, genes)
              : null;
      Map<String, ColumnKind> columns = new LinkedHashMap<>();
      for (Map.Entry<String, Node> e : cols.getChildren().entrySet()) {
        if (e.getValue() instanceof Dataset d) {
          ObsColumn c = ObsColumn.ofDataset(e.getKey(), d);
          if (c != null) {
            if (d.getDimensions()[0] != cells) {
              throw UserException.of(
                  "Input %s: col_attrs/%s has %d values for %d cells; the file is damaged",
                  f.name(), e.getKey(), d.getDimensions()[0], cells);
            }
            columns.put(e.getKey(), c.kind());
          }
        }
      }
      String cellId = columns.get(CELL_ID) == ColumnKind.STRING ? CELL_ID : null;
      int chunkCells = matrix instanceof ChunkedDataset c ? c.getChunkDimensions()[1] : 0;
      String describe =
          String.format(
              Locale.ROOT,
              "loom, %,d genes x %,d cells, %s%s",
              genes,
              cells,
              matrix.getJavaType().getSimpleName(),
              chunkCells == 0
                  ? ", contiguous"
                  : String.format(
                      Locale.ROOT,
                      ", chunks %s",
                      Arrays.toString(((ChunkedDataset) matrix).getChunkDimensions())));
      return new LoomFile(
          f,
          genes,
          cells,
          ids,
          idAttr,
          geneSymbols,
          cellId,
          columns,
          matrixPath,
          chunkCells,
          describe);
    } catch (HdfException e) {
      throw UserException.because(
          e,
          "Input %s is not a readable HDF5 file (%s); check that the copy is complete",
          f.name(),
          e.getMessage());
    }
  }

  private static Node node(HdfFile h, String path) {
    Node n = h;
    for (String part : path.split("/", -1)) {
      if (part.isEmpty()) {
        continue; // "a//b", "/a", "a/": HDF5 paths name the same object
      }
      if (!(n instanceof Group g) || !g.getChildren().containsKey(part)) {
        return null;
      }
      n = g.getChild(part);
    }
    return n;
  }

  private static Class<?> boxed(Class<?> c) {
    if (!c.isPrimitive()) {
      return c;
    }
    return c == double.class
        ? Double.class
        : c == float.class
            ? Float.class
            : c == long.class
                ? Long.class
                : c == int.class
                    ? Integer.class
                    : c == short.class ? Short.class : c == byte.class ? Byte.class : Boolean.class;
  }

  private static Group group(HdfFile h, String name, InputFile f) {
    if (!(h.getChildren().get(name) instanceof Group g)) {
      throw UserException.of(
          "Input %s is not a loom file: it has no '%s' group (top level holds: %s)",
          f.name(), name, String.join(", ", h.getChildren().keySet()));
    }
    return g;
  }

  private static String[] strings(Dataset d, InputFile f, String what, int expected) {
    if (ObsColumn.ofDataset(what, d) == null || d.getDimensions()[0] != expected) {
      throw UserException.of(
          "Input %s: %s is not one value per gene (%d expected)", f.name(), what, expected);
    }
    Object data = d.getData();
    String[] out = new String[expected];
    for (int i = 0; i < expected; i++) {
      Object v = Array.get(data, i);
      out[i] = v == null ? null : String.valueOf(v);
    }
    return out;
  }

  /** Stored values of one block of cells, cell by cell; genes ascending. */
  public record Block(int[][] genes, double[][] values) {}

  /**
   * An open file on an executor: the matrix, read a block of cells (a chunk column) at a time, and
   * the cell attributes.
   */
  public final class Reader implements AutoCloseable {
    private final HdfOpener.Shared shared;
    private final HdfFile h;
    private final Dataset matrix;
    private final NumericDecoder decoder;
    private final Group cols;
    private double[] chunkValues = new double[0];
    private float[] chunkFloats = new float[0];

    Reader(HdfOpener opener) {
      shared = opener.openShared(file); // the chunk index is built once per JVM, not per task
      h = shared.file();
      matrix = (Dataset) node(h, matrixPath);
      decoder = NumericDecoder.of(matrix);
      cols = (Group) h.getChildren().get("col_attrs");
    }

    /**
     * Cells {@code [first, first + count)}; {@code first} a multiple of {@link
     * LoomFile#blockCells()}.
     */
    public Block read(int first, int count) {
      GrowableCells out = new GrowableCells(count);
      if (chunkCells > 0) {
        int[] chunk = ((ChunkedDataset) matrix).getChunkDimensions();
        int chunkGenes = chunk[0];
        int chunkWidth = chunk[1];
        if (!decoder.isFloat32() && chunkValues.length < chunkGenes * chunkWidth) {
          chunkValues = new double[chunkGenes * chunkWidth];
        }
        if (decoder.isFloat32() && chunkFloats.length < chunkGenes * chunkWidth) {
          chunkFloats = new float[chunkGenes * chunkWidth];
        }
        for (int g0 = 0; g0 < genes; g0 += chunkGenes) {
          // HDF5 stores edge chunks full size; only the part inside the matrix is used.
          byte[] raw = ((ChunkedDataset) matrix).getDecompressedChunk(new int[] {g0, first});
          ByteBuffer b = decoder.wrap(raw);
          int rowsHere = Math.min(chunkGenes, genes - g0);
          if (decoder.isFloat32()) {
            // Bulk copy and a float scan: most of a dense loom chunk is zeros.
            decoder.floats(b, chunkGenes * chunkWidth, chunkFloats);
            for (int g = 0; g < rowsHere; g++) {
              int at = g * chunkWidth;
              for (int c = 0; c < count; c++) {
                float v = chunkFloats[at + c];
                if (v != 0) {
                  out.add(c, g0 + g, v);
                }
              }
            }
            continue;
          }
          decoder.doubles(b, chunkGenes * chunkWidth, chunkValues);
          for (int g = 0; g < rowsHere; g++) {
            int at = g * chunkWidth;
            for (int c = 0; c < count; c++) {
              double v = chunkValues[at + c];
              if (v != 0) {
                out.add(c, g0 + g, v);
              }
            }
          }
        }
      } else {
        Object slice = matrix.getData(new long[] {0, first}, new int[] {genes, count});
        for (int g = 0; g < genes; g++) {
          double[] row = ArrayConversions.toDoubles(Array.get(slice, g));
          for (int c = 0; c < count; c++) {
            if (row[c] != 0) {
              out.add(c, g, row[c]);
            }
          }
        }
      }
      return out.block();
    }

    /**
     * Values of column attribute {@code name} for cells {@code [first, first + count)}, as Spark
     * internal values.
     */
    public Object[] column(String name, int first, int count) {
      return ObsColumn.ofDataset(name, (Dataset) cols.getChild(name)).read(first, count);
    }

    @Override
    public void close() {
      shared.close();
    }
  }

  public Reader reader(HdfOpener opener) {
    return new Reader(opener);
  }

  /** Per-cell growing (gene, value) lists for one block. */
  private static final class GrowableCells {
    private final int[][] genes;
    private final double[][] values;
    private final int[] sizes;

    GrowableCells(int cells) {
      genes = new int[cells][16];
      values = new double[cells][16];
      sizes = new int[cells];
    }

    void add(int cell, int gene, double value) {
      int n = sizes[cell];
      if (n == genes[cell].length) {
        genes[cell] = Arrays.copyOf(genes[cell], n * 2);
        values[cell] = Arrays.copyOf(values[cell], n * 2);
      }
      genes[cell][n] = gene;
      values[cell][n] = value;
      sizes[cell] = n + 1;
    }

    Block block() {
      for (int c = 0; c < sizes.length; c++) {
        genes[c] = Arrays.copyOf(genes[c], sizes[c]);
        values[c] = Arrays.copyOf(values[c], sizes[c]);
      }
      return new Block(genes, values);
    }
  }
}
