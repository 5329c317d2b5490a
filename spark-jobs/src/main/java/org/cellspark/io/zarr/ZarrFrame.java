package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.io.cells.RowNames;

/**
 * An AnnData dataframe ({@code obs}, {@code var}, {@code raw/var}) in a zarr store: its index
 * (named by the {@code _index} attribute) and its columns in {@code column-order}, each in any of
 * anndata's encodings: a plain array (numbers, booleans, strings), a categorical (codes and
 * categories; anndata before 0.8 kept the categories in {@code __categories/<name>}, named by the
 * codes' {@code categories} attribute), or a nullable encoding (values and a mask, true = missing).
 * Values come back as Spark's internal values: {@link UTF8String}, Long, Double, Boolean or null.
 * Columns are opened lazily; one reader per task.
 */
final class ZarrFrame {
  private final ZarrStore store;
  private final String path;
  private final String indexName;
  private final List<String> columns = new ArrayList<>();
  private final Map<String, Column> opened = new LinkedHashMap<>();
  private ZarrArray index;

  /** A nullable string index (anndata 0.13 with pandas 3): read through its mask; else null. */
  private Column nullableIndex;

  private ZarrFrame(ZarrStore store, String path, JsonNode attributes) {
    this.store = store;
    this.path = path;
    this.indexName = attributes.path("_index").asText("_index");
    attributes.path("column-order").forEach(c -> columns.add(c.asText()));
  }

  /** The dataframe at {@code path}; null when the store has no dataframe group there. */
  static ZarrFrame open(ZarrStore store, String path) {
    JsonNode attributes = store.attributes(path);
    if (!store.isGroup(path)
        || attributes == null
        || !"dataframe".equals(attributes.path("encoding-type").asText())) {
      return null;
    }
    return new ZarrFrame(store, path, attributes);
  }

  String path() {
    return path;
  }

  long rows() {
    return index().length(0);
  }

  List<String> columnNames() {
    return List.copyOf(columns);
  }

  boolean hasColumn(String name) {
    return name != null && columns.contains(name);
  }

  /** Rows {@code [from, from + n)} of the index. */
  String[] indexStrings(long from, int n) {
    ZarrArray values = index();
    return nullableIndex == null
        ? values.strings(from, n)
        : RowNames.of(nullableIndex.read(from, n), from, store.name(), path);
  }

  String[] allIndexStrings() {
    return indexStrings(0, Math.toIntExact(rows()));
  }

  /** Every value of a column, as strings (gene IDs, symbols). */
  String[] allStrings(String name) {
    Object[] v = column(name).read(0, Math.toIntExact(rows()));
    String[] out = new String[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] == null ? null : v[i].toString();
    }
    return out;
  }

  private ZarrArray index() {
    if (index == null) {
      index = ZarrArray.open(store, path + "/" + indexName);
      JsonNode group = index == null ? store.attributes(path + "/" + indexName) : null;
      if (group != null && "nullable-string-array".equals(group.path("encoding-type").asText())) {
        // anndata 0.13 with pandas 3, whose strings have a dtype of their own: obs_names and
        // var_names are written as a nullable string array (values and a mask).
        nullableIndex = Column.of(store, path, indexName);
        index = ZarrArray.open(store, path + "/" + indexName + "/values");
      }
      if (index == null || index.dimensions() != 1) {
        throw UserException.of(
            "Input %s: dataframe %s has no index array '%s'; the store is not complete AnnData."
                + " Write it again with anndata (adata.write_zarr).",
            store.name(), path, indexName);
      }
    }
    return index;
  }

  /** The column; throws a UserException for an encoding Cellspark does not read. */
  Column column(String name) {
    Column c = opened.get(name);
    if (c == null) {
      c = Column.of(store, path, name);
      opened.put(name, c);
    }
    return c;
  }

  /** One column: its kind and its values by ranges. */
  abstract static class Column {
    private final ColumnKind kind;

    Column(ColumnKind kind) {
      this.kind = kind;
    }

    ColumnKind kind() {
      return kind;
    }

    abstract Object[] read(long from, int n);

    static Column of(ZarrStore store, String frame, String name) {
      String at = frame + "/" + name;
      ZarrArray plain = ZarrArray.open(store, at);
      if (plain != null) {
        String legacy = plain.attributes().path("categories").asText(null);
        if (legacy != null) { // anndata < 0.8: codes here, categories elsewhere in the frame
          String categories = legacy.startsWith("/") ? legacy.substring(1) : frame + "/" + legacy;
          return categorical(plain, ZarrArray.open(store, categories), store, at);
        }
        return new Plain(kindOf(plain, store, at), plain);
      }
      JsonNode attributes = store.attributes(at);
      String encoding = attributes == null ? "" : attributes.path("encoding-type").asText();
      switch (encoding) {
        case "categorical" -> {
          return categorical(
              ZarrArray.open(store, at + "/codes"),
              ZarrArray.open(store, at + "/categories"),
              store,
              at);
        }
        case "nullable-integer", "nullable-boolean", "nullable-string-array" -> {
          ZarrArray values = ZarrArray.open(store, at + "/values");
          ZarrArray mask = ZarrArray.open(store, at + "/mask");
          if (values == null || mask == null) {
            throw incomplete(store, at, "values and mask");
          }
          return new Masked(kindOf(values, store, at), values, mask);
        }
        default ->
            throw UserException.of(
                "Input %s: column %s is %s, which Cellspark does not read as one value per cell;"
                    + " leave it out of --attribute, or store it as numbers, strings or a"
                    + " categorical.",
                store.name(),
                at,
                encoding.isEmpty() ? "not an array" : "encoded as '" + encoding + "'");
      }
    }

    private static Column categorical(
        ZarrArray codes, ZarrArray categories, ZarrStore store, String at) {
      if (codes == null || categories == null) {
        throw incomplete(store, at, "codes and categories");
      }
      kindOf(codes, store, at);
      return new Categorical(codes, categories);
    }

    private static ColumnKind kindOf(ZarrArray a, ZarrStore store, String at) {
      if (a.dimensions() != 1) {
        throw UserException.of(
            "Input %s: column %s has %d dimensions, not one value per cell; leave it out of"
                + " --attribute.",
            store.name(), at, a.dimensions());
      }
      return a.isString()
          ? ColumnKind.STRING
          : a.isBoolean()
              ? ColumnKind.BOOLEAN
              : a.isInteger() ? ColumnKind.LONG : ColumnKind.DOUBLE;
    }

    private static UserException incomplete(ZarrStore store, String at, String parts) {
      return UserException.of(
          "Input %s: column %s lacks its %s; the store is not complete AnnData. Write it again with"
              + " anndata (adata.write_zarr).",
          store.name(), at, parts);
    }

    /** Values of {@code a} as this kind's internal values. */
    Object[] values(ZarrArray a, long from, int n) {
      Object[] out = new Object[n];
      switch (kind) {
        case STRING -> {
          String[] s = a.strings(from, n);
          for (int i = 0; i < n; i++) {
            out[i] = s[i] == null ? null : UTF8String.fromString(s[i]);
          }
        }
        case BOOLEAN -> {
          long[] v = a.longs(from, n);
          for (int i = 0; i < n; i++) {
            out[i] = v[i] != 0;
          }
        }
        case LONG -> {
          long[] v = a.longs(from, n);
          for (int i = 0; i < n; i++) {
            out[i] = v[i];
          }
        }
        case DOUBLE -> {
          double[] v = a.doubles(from, n);
          for (int i = 0; i < n; i++) {
            out[i] = v[i];
          }
        }
      }
      return out;
    }
  }

  private static final class Plain extends Column {
    private final ZarrArray values;

    Plain(ColumnKind kind, ZarrArray values) {
      super(kind);
      this.values = values;
    }

    @Override
    Object[] read(long from, int n) {
      return values(values, from, n);
    }
  }

  /** Codes into categories (-1: missing); categories of any type read as strings, as h5ad's. */
  private static final class Categorical extends Column {
    private final ZarrArray codes;
    private final ZarrArray categoryArray;
    private Object[] categories;

    Categorical(ZarrArray codes, ZarrArray categories) {
      super(ColumnKind.STRING);
      this.codes = codes;
      this.categoryArray = categories;
    }

    @Override
    Object[] read(long from, int n) {
      if (categories == null) {
        int count = Math.toIntExact(categoryArray.length(0));
        categories = new Object[count];
        if (categoryArray.isString()) {
          String[] s = categoryArray.strings(0, count);
          for (int i = 0; i < count; i++) {
            categories[i] = s[i] == null ? null : UTF8String.fromString(s[i]);
          }
        } else {
          double[] v = categoryArray.doubles(0, count);
          long[] l = categoryArray.longs(0, count);
          for (int i = 0; i < count; i++) {
            String text =
                categoryArray.isInteger()
                    ? Long.toString(l[i])
                    : categoryArray.isBoolean()
                        ? Boolean.toString(l[i] != 0)
                        : Double.toString(v[i]);
            categories[i] = UTF8String.fromString(text);
          }
        }
      }
      long[] c = codes.longs(from, n);
      Object[] out = new Object[n];
      for (int i = 0; i < n; i++) {
        out[i] = c[i] < 0 || c[i] >= categories.length ? null : categories[(int) c[i]];
      }
      return out;
    }
  }

  /** anndata's nullable encodings: values and a boolean mask (true = missing). */
  private static final class Masked extends Column {
    private final ZarrArray values;
    private final ZarrArray mask;

    Masked(ColumnKind kind, ZarrArray values, ZarrArray mask) {
      super(kind);
      this.values = values;
      this.mask = mask;
    }

    @Override
    Object[] read(long from, int n) {
      Object[] out = values(values, from, n);
      long[] missing = mask.longs(from, n);
      for (int i = 0; i < n; i++) {
        if (missing[i] != 0) {
          out[i] = null;
        }
      }
      return out;
    }
  }
}
