package org.cellspark.io.h5ad;

import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.filter.PipelineFilterWithData;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.util.Locale;
import java.util.stream.Collectors;
import org.cellspark.error.UserException;
import org.cellspark.io.hdf5.ArrayConversions;
import org.cellspark.io.hdf5.ChunkCursor;

/**
 * A counts matrix of an AnnData file (cells x genes): sparse (CSR or CSC, anndata's {@code
 * encoding-type} or the older {@code h5sparse_format}) or dense. Reads go by ranges so a task
 * touches only its own rows (CSR, dense) or columns (CSC).
 */
public abstract sealed class CountsMatrix permits CountsMatrix.Sparse, CountsMatrix.Dense {

  public enum Layout {
    CSR,
    CSC,
    DENSE
  }

  protected final String fileName;
  protected final String path;

  private CountsMatrix(String fileName, String path) {
    this.fileName = fileName;
    this.path = path;
  }

  static CountsMatrix of(String fileName, String path, Node node) {
    if (node instanceof Dataset d) {
      if (d.getDimensions().length != 2) {
        throw UserException.of(
            "Input %s: '%s' is a %d-D dataset, not a cells x genes matrix",
            fileName, path, d.getDimensions().length);
      }
      if (!(d.getDataType() instanceof FixedPoint || d.getDataType() instanceof FloatingPoint)) {
        throw UserException.of("Input %s: '%s' does not hold numbers", fileName, path);
      }
      return new Dense(fileName, path, d);
    }
    Group g = (Group) node;
    String encoding = H5adFile.stringAttribute(g, "encoding-type");
    if (encoding == null) {
      String legacy = H5adFile.stringAttribute(g, "h5sparse_format");
      encoding = legacy == null ? null : legacy + "_matrix";
    }
    Layout layout =
        "csr_matrix".equals(encoding)
            ? Layout.CSR
            : "csc_matrix".equals(encoding) ? Layout.CSC : null;
    if (layout == null) {
      throw UserException.of(
          "Input %s: '%s' is a group with encoding-type '%s'; Cellspark reads csr_matrix,"
              + " csc_matrix and dense matrices",
          fileName, path, encoding);
    }
    long[] shape = shapeOf(g, fileName);
    return new Sparse(
        fileName,
        path,
        layout,
        shape[0],
        shape[1],
        H5adFile.dataset(g, "data", fileName),
        H5adFile.dataset(g, "indices", fileName),
        H5adFile.dataset(g, "indptr", fileName));
  }

  private static long[] shapeOf(Group g, String fileName) {
    Attribute a = g.getAttribute("shape");
    if (a == null) {
      a = g.getAttribute("h5sparse_shape");
    }
    if (a == null) {
      throw UserException.of(
          "Input %s: sparse matrix '%s' has no shape attribute", fileName, g.getPath());
    }
    long[] shape = ArrayConversions.toLongs(a.getData());
    if (shape.length != 2) {
      throw UserException.of("Input %s: sparse matrix '%s' is not 2-D", fileName, g.getPath());
    }
    return shape;
  }

  public abstract Layout layout();

  public abstract long rows();

  public abstract long cols();

  /** Values stored (non-zeros for sparse, every cell for dense). */
  public abstract long storedValues();

  /** Bytes of values and indices once decompressed: what reading costs. */
  public abstract long decompressedBytes();

  /** For logs and summaries, e.g. "CSR float32 (gzip)". */
  public abstract String describe();

  static String describe(Dataset values) {
    String filters =
        values.getFilters().stream()
            .map(PipelineFilterWithData::getName)
            .collect(Collectors.joining("+"));
    return values
            .getJavaType()
            .getSimpleName()
            .replace("float", "float32")
            .replace("double", "float64")
            .replace("int", "int32")
            .replace("long", "int64")
            .replace("short", "int16")
            .replace("byte", "int8")
        + (filters.isEmpty() ? "" : " (" + filters + ")");
  }

  /** CSR or CSC: {@code indptr} runs over rows (CSR) or columns (CSC). */
  public static final class Sparse extends CountsMatrix {
    private final Layout layout;
    private final long rows;
    private final long cols;
    private final Dataset data;
    private final Dataset indices;
    private final Dataset indptr;

    Sparse(
        String fileName,
        String path,
        Layout layout,
        long rows,
        long cols,
        Dataset data,
        Dataset indices,
        Dataset indptr) {
      super(fileName, path);
      this.layout = layout;
      this.rows = rows;
      this.cols = cols;
      this.data = data;
      this.indices = indices;
      this.indptr = indptr;
      long major = layout == Layout.CSR ? rows : cols;
      if (indptr.getDimensions()[0] != major + 1
          || data.getDimensions()[0] != indices.getDimensions()[0]) {
        throw UserException.of(
            "Input %s: sparse matrix '%s' is inconsistent (indptr has %d entries for %d %s; data"
                + " %d, indices %d)",
            fileName,
            path,
            indptr.getDimensions()[0],
            major,
            layout == Layout.CSR ? "rows" : "columns",
            data.getDimensions()[0],
            indices.getDimensions()[0]);
      }
    }

    @Override
    public Layout layout() {
      return layout;
    }

    @Override
    public long rows() {
      return rows;
    }

    @Override
    public long cols() {
      return cols;
    }

    @Override
    public long storedValues() {
      return data.getDimensionsAsLong()[0];
    }

    @Override
    public long decompressedBytes() {
      return data.getSizeInBytes() + indices.getSizeInBytes();
    }

    @Override
    public String describe() {
      return layout + " " + CountsMatrix.describe(data);
    }

    /** {@code indptr[from .. from + count]} ({@code count + 1} values). */
    public long[] indptr(long from, int count) {
      return ArrayConversions.toLongs(indptr.getData(new long[] {from}, new int[] {count + 1}));
    }

    /** A forward reader of the minor indices (gene for CSR, cell for CSC). */
    public ChunkCursor indexCursor() {
      return new ChunkCursor(indices);
    }

    /** A forward reader of the stored values. */
    public ChunkCursor valueCursor() {
      return new ChunkCursor(data);
    }
  }

  /** A dense 2-D dataset; zeros are not stored values of a cell. */
  public static final class Dense extends CountsMatrix {
    private final Dataset x;

    Dense(String fileName, String path, Dataset x) {
      super(fileName, path);
      this.x = x;
    }

    @Override
    public Layout layout() {
      return Layout.DENSE;
    }

    @Override
    public long rows() {
      return x.getDimensionsAsLong()[0];
    }

    @Override
    public long cols() {
      return x.getDimensionsAsLong()[1];
    }

    @Override
    public long storedValues() {
      return rows() * cols();
    }

    @Override
    public long decompressedBytes() {
      return x.getSizeInBytes();
    }

    @Override
    public String describe() {
      return String.format(Locale.ROOT, "dense %s", CountsMatrix.describe(x));
    }

    /** Rows {@code [start, start + count)}, each as a dense double array over all genes. */
    public double[][] rows(long start, int count) {
      Object block = x.getData(new long[] {start, 0}, new int[] {count, (int) cols()});
      Object[] rowsArray = (Object[]) block;
      double[][] out = new double[count][];
      for (int i = 0; i < count; i++) {
        out[i] = ArrayConversions.toDoubles(rowsArray[i]);
      }
      return out;
    }
  }
}
