package org.cellspark.io.mtx;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;

/**
 * A Matrix Market folder as Cell Ranger writes it (and scanpy's read_10x_mtx reads it): {@code
 * matrix.mtx[.gz]} (genes x cells, coordinate format), {@code features.tsv[.gz]} (gene ID, symbol,
 * feature type) or the older {@code genes.tsv[.gz]} (ID, symbol), and {@code barcodes.tsv[.gz]}
 * (one cell ID per line). Opening it reads the header and the two small tables and checks them
 * against each other; the entries are read by {@link MtxCells}.
 *
 * @param location the folder, qualified, as Hadoop and Spark take a path string (not
 *     percent-encoded: a space stays a space)
 * @param name the folder as the user named it
 * @param matrix the matrix file, as {@code location} names the folder
 * @param rows genes (the header's first number)
 * @param cols cells
 * @param entries stored values the header announces
 * @param geneIds per gene row: its ID, or null for features of another type than gene expression
 * @param symbols per gene row: its symbol (second column), or null
 * @param barcodes per cell column: its barcode
 * @param otherFeatures features of another type (antibody capture, CRISPR guides), left out
 */
public record MtxFolder(
    String location,
    String name,
    String matrix,
    int rows,
    int cols,
    long entries,
    String[] geneIds,
    String[] symbols,
    String[] barcodes,
    int otherFeatures)
    implements Serializable {

  static final String GENE_EXPRESSION = "Gene Expression";

  /** The folder's URI (percent-encoded), as every reader's {@code source} column names inputs. */
  public String uri() {
    return new Path(location).toUri().toString();
  }

  /** Whether {@code dir} is a folder holding a matrix.mtx[.gz]. */
  public static boolean isMtxFolder(FileSystem fs, Path dir) throws IOException {
    return fs.getFileStatus(dir).isDirectory()
        && (fs.exists(new Path(dir, "matrix.mtx")) || fs.exists(new Path(dir, "matrix.mtx.gz")));
  }

  public static MtxFolder open(String uri, String name, Configuration conf) {
    Path dir = new Path(uri);
    try {
      FileSystem fs = dir.getFileSystem(conf);
      Path matrix = first(fs, dir, "matrix.mtx", "matrix.mtx.gz");
      Path features =
          first(fs, dir, "features.tsv", "features.tsv.gz", "genes.tsv", "genes.tsv.gz");
      Path barcodes = first(fs, dir, "barcodes.tsv", "barcodes.tsv.gz");
      if (matrix == null || features == null || barcodes == null) {
        throw UserException.of(
            "Matrix Market folder %s needs matrix.mtx[.gz], features.tsv[.gz] (or genes.tsv[.gz])"
                + " and barcodes.tsv[.gz]; it is missing %s",
            name,
            matrix == null
                ? "matrix.mtx"
                : features == null ? "features.tsv / genes.tsv" : "barcodes.tsv");
      }
      long[] header = header(fs, matrix, name);
      List<String[]> featureRows = table(fs, features, name);
      List<String[]> barcodeRows = table(fs, barcodes, name);
      String matrixName = name + "/" + matrix.getName();
      if (header[0] != featureRows.size() || header[1] != barcodeRows.size()) {
        throw UserException.of(
            "%s says %d genes x %d cells, but %s has %d lines and %s has %d: the files are not one"
                + " matrix (mixed up folders?)",
            matrixName,
            header[0],
            header[1],
            features.getName(),
            featureRows.size(),
            barcodes.getName(),
            barcodeRows.size());
      }
      int n = featureRows.size();
      String[] ids = new String[n];
      String[] symbols = new String[n];
      int other = 0;
      for (int i = 0; i < n; i++) {
        String[] f = featureRows.get(i);
        boolean expression = f.length < 3 || f[2].equals(GENE_EXPRESSION);
        ids[i] = expression ? f[0] : null;
        symbols[i] = f.length > 1 ? f[1] : null;
        other += expression ? 0 : 1;
      }
      String[] cells = barcodeRows.stream().map(b -> b[0]).toArray(String[]::new);
      return new MtxFolder(
          fs.makeQualified(dir).toString(),
          name,
          fs.makeQualified(matrix).toString(),
          n,
          cells.length,
          header[2],
          ids,
          symbols,
          cells,
          other);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read Matrix Market folder %s: %s", name, e.getMessage());
    }
  }

  private static Path first(FileSystem fs, Path dir, String... names) throws IOException {
    for (String n : names) {
      Path p = new Path(dir, n);
      if (fs.exists(p)) {
        return p;
      }
    }
    return null;
  }

  static BufferedReader open(FileSystem fs, Path p) throws IOException {
    InputStream in = fs.open(p);
    if (p.getName().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
  }

  /** The banner and the size line: rows, cols, entries. Only real/integer coordinate matrices. */
  private static long[] header(FileSystem fs, Path matrix, String folder) throws IOException {
    try (BufferedReader r = open(fs, matrix)) {
      String banner = r.readLine();
      String file = folder + "/" + matrix.getName();
      if (banner == null || !banner.startsWith("%%MatrixMarket")) {
        throw UserException.of(
            "%s does not start with a %%%%MatrixMarket banner; it is not a Matrix Market file",
            file);
      }
      String[] b = banner.trim().toLowerCase(Locale.ROOT).split("\\s+", -1);
      if (b.length < 5
          || !b[1].equals("matrix")
          || !b[2].equals("coordinate")
          || !(b[3].equals("integer") || b[3].equals("real"))
          || !b[4].equals("general")) {
        throw UserException.of(
            "%s is '%s'; Cellspark reads 'matrix coordinate integer|real general' (Cell Ranger's)",
            file, banner.trim());
      }
      String line;
      while ((line = r.readLine()) != null && line.startsWith("%")) {
        // comments
      }
      String[] size = line == null ? new String[0] : line.trim().split("\\s+", -1);
      if (size.length != 3) {
        throw UserException.of("%s has no size line (rows cols entries) after its banner", file);
      }
      try {
        return new long[] {
          Long.parseLong(size[0]), Long.parseLong(size[1]), Long.parseLong(size[2])
        };
      } catch (NumberFormatException e) {
        throw UserException.because(
            e, "%s: size line '%s' is not three integers", file, line.trim());
      }
    } catch (EOFException e) {
      throw UserException.because(
          e, "%s/%s ends early (truncated .gz?); copy it again", folder, matrix.getName());
    }
  }

  private static List<String[]> table(FileSystem fs, Path p, String folder) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader r = open(fs, p)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isEmpty()) {
          rows.add(line.split("\t", -1));
        }
      }
    } catch (EOFException e) {
      throw UserException.because(
          e, "%s/%s ends early (truncated .gz?); copy it again", folder, p.getName());
    }
    return rows;
  }
}
