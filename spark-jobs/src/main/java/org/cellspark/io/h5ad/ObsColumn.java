package org.cellspark.io.h5ad;

import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.object.datatype.ArrayDataType;
import io.jhdf.object.datatype.CompoundDataType;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.EnumDataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.StringData;
import io.jhdf.object.datatype.VariableLength;
import java.lang.reflect.Array;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.io.hdf5.ArrayConversions;

/**
 * One column of an AnnData dataframe ({@code obs} or {@code var}), in any of anndata's encodings:
 * plain arrays (numbers, booleans, strings), categoricals (codes + categories, including the
 * pre-0.8 layout with categories in {@code __categories/<name>}), and the nullable encodings
 * (values + mask), and the fields of anndata 0.6's compound dataframes (categorical ones as codes
 * whose categories are in {@code uns/<column>_categories}). Values come back in Spark's internal
 * representation: {@link UTF8String}, {@code Long}, {@code Double}, {@code Boolean}, or null.
 */
public abstract sealed class ObsColumn
    permits ObsColumn.Plain, ObsColumn.Categorical, ObsColumn.Masked, ObsColumn.RecordField {

  private final String name;
  private final ColumnKind kind;

  private ObsColumn(String name, ColumnKind kind) {
    this.name = name;
    this.kind = kind;
  }

  public String name() {
    return name;
  }

  public ColumnKind kind() {
    return kind;
  }

  /** Values of rows {@code [start, start + count)}. */
  public abstract Object[] read(long start, int count);

  /**
   * Recognises the column stored at {@code node}; {@code legacyCategories} is the pre-0.8 {@code
   * __categories} group of the dataframe, or null. Returns null for encodings that are not one
   * value per row (e.g. 2-D arrays), which callers report when the column is asked for.
   */
  static ObsColumn of(String name, Node node, Group legacyCategories) {
    if (node instanceof Group g) {
      String encoding = H5adFile.stringAttribute(g, "encoding-type");
      if ("categorical".equals(encoding)) {
        return new Categorical(
            name, g.getDatasetByPath("codes"), (Dataset) g.getChild("categories"));
      }
      if ("nullable-integer".equals(encoding)
          || "nullable-boolean".equals(encoding)
          || "nullable-string-array".equals(encoding)) {
        Dataset values = (Dataset) g.getChild("values");
        // Booleans whatever stores them: h5py's enum, or R's rhdf5 int8 (anndataR).
        ColumnKind kind =
            "nullable-boolean".equals(encoding) && values.getDimensions().length == 1
                ? ColumnKind.BOOLEAN
                : kindOf(values);
        return kind == null ? null : new Masked(name, kind, values, (Dataset) g.getChild("mask"));
      }
      return null;
    }
    Dataset d = (Dataset) node;
    if (d.getDimensions().length != 1) {
      return null;
    }
    if (legacyCategories != null && legacyCategories.getChildren().containsKey(name)) {
      return new Categorical(name, d, (Dataset) legacyCategories.getChild(name));
    }
    ColumnKind kind = kindOf(d);
    return kind == null ? null : new Plain(name, kind, d);
  }

  /**
   * A plain 1-D dataset as a column (a loom file's {@code col_attrs/NAME}); null when it is not one
   * value per row of a readable type.
   */
  public static ObsColumn ofDataset(String name, Dataset d) {
    return of(name, d, null);
  }

  static ColumnKind kindOf(Dataset d) {
    if (d.getDimensions().length != 1) {
      return null;
    }
    return kindOf(d.getDataType());
  }

  private static ColumnKind kindOf(DataType type) {
    if (type instanceof StringData || type instanceof VariableLength) {
      return ColumnKind.STRING;
    }
    if (type instanceof EnumDataType e) {
      // h5py writes numpy bool as an enum {FALSE, TRUE}, R's hdf5r a logical as {FALSE, TRUE,
      // NA}; hdf5r also writes an R factor as an enum of its levels (loom files from Seurat),
      // whose values are the level names.
      return isBooleanEnum(e) ? ColumnKind.BOOLEAN : ColumnKind.STRING;
    }
    if (type instanceof FloatingPoint) {
      return ColumnKind.DOUBLE;
    }
    if (type instanceof FixedPoint) {
      return ColumnKind.LONG;
    }
    return null;
  }

  /**
   * Field {@code name} of anndata 0.6's compound dataframe {@code records} as a column: codes into
   * {@code uns/<name>_categories} when that dataset exists, else plain values; null when the field
   * is not one value per row of a readable type.
   */
  static ObsColumn ofRecordField(String name, Dataset records, Group uns) {
    CompoundDataType.CompoundDataMember member =
        ((CompoundDataType) records.getDataType())
            .getMembers().stream().filter(m -> m.getName().equals(name)).findFirst().orElse(null);
    if (member == null || member.getDataType() instanceof ArrayDataType) {
      return null;
    }
    if (uns != null && uns.getChildren().get(name + "_categories") instanceof Dataset categories) {
      return new Categorical(
          name,
          (start, count) ->
              ArrayConversions.toLongs(
                  count == 0
                      ? new long[0]
                      : ((Map<?, ?>) records.getData(new long[] {start}, new int[] {count}))
                          .get(name)),
          categories);
    }
    ColumnKind kind = kindOf(member.getDataType());
    return kind == null ? null : new RecordField(name, kind, records);
  }

  /** Rows {@code [start, start + count)} of one field of a compound dataset, as Spark values. */
  static Object[] sliceField(Dataset records, String field, long start, int count) {
    if (count == 0) {
      return new Object[0];
    }
    Object raw = ((Map<?, ?>) records.getData(new long[] {start}, new int[] {count})).get(field);
    return convert(raw);
  }

  static Object[] slice(Dataset d, long start, int count) {
    Object raw =
        count == 0
            ? Array.newInstance(d.getJavaType(), 0)
            : d.getData(new long[] {start}, new int[] {count});
    return convert(raw);
  }

  /** jHDF's array of one of its element types -> Spark internal values. */
  private static Object[] convert(Object raw) {
    int n = Array.getLength(raw);
    Object[] out = new Object[n];
    if (raw instanceof String[] s) {
      for (int i = 0; i < n; i++) {
        out[i] = s[i] == null ? null : UTF8String.fromString(s[i]);
      }
    } else if (raw instanceof double[] || raw instanceof float[]) {
      double[] v = ArrayConversions.toDoubles(raw);
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
    } else if (raw instanceof boolean[] b) {
      for (int i = 0; i < n; i++) {
        out[i] = b[i];
      }
    } else {
      long[] v = ArrayConversions.toLongs(raw);
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
    }
    return out;
  }

  /** Whether an enum holds booleans: its members are FALSE and TRUE (and R's NA). */
  private static boolean isBooleanEnum(EnumDataType e) {
    Set<String> names = new HashSet<>(e.getEnumMapping().values());
    return names.contains("FALSE") && names.contains("TRUE") && BOOLEAN_MEMBERS.containsAll(names);
  }

  private static final Set<String> BOOLEAN_MEMBERS = Set.of("FALSE", "TRUE", "NA");

  /**
   * Booleans as they arrive: an enum's member names (R's NA, or no member, a missing value), or
   * numbers (R's rhdf5 stores a logical as int8: 0 false, anything else true).
   */
  private static Object[] toBooleans(Object[] values) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] instanceof UTF8String s) {
        String name = s.toString();
        values[i] =
            "TRUE".equals(name) ? Boolean.TRUE : "FALSE".equals(name) ? Boolean.FALSE : null;
      } else if (values[i] instanceof Long n) {
        values[i] = n != 0;
      } else if (values[i] instanceof Double d) {
        values[i] = d != 0;
      }
    }
    return values;
  }

  static final class Plain extends ObsColumn {
    private final Dataset values;

    Plain(String name, ColumnKind kind, Dataset values) {
      super(name, kind);
      this.values = values;
    }

    @Override
    public Object[] read(long start, int count) {
      Object[] v = slice(values, start, count);
      return kind() == ColumnKind.BOOLEAN ? toBooleans(v) : v;
    }
  }

  /**
   * Integer codes into a table of categories; code -1 is a missing value. The codes are a dataset
   * of their own (anndata 0.7+, or 0.7's {@code __categories} layout) or a field of anndata 0.6's
   * compound dataframe.
   */
  static final class Categorical extends ObsColumn {
    /** Rows {@code [start, start + count)} of the codes. */
    @FunctionalInterface
    interface Codes {
      long[] read(long start, int count);
    }

    private final Codes codes;
    private final Dataset categoriesDataset;
    private Object[] categories; // read once, on first use: small

    Categorical(String name, Dataset codes, Dataset categories) {
      this(
          name,
          (start, count) ->
              ArrayConversions.toLongs(
                  count == 0 ? new long[0] : codes.getData(new long[] {start}, new int[] {count})),
          categories);
    }

    Categorical(String name, Codes codes, Dataset categories) {
      super(name, ColumnKind.STRING);
      this.codes = codes;
      this.categoriesDataset = categories;
    }

    @Override
    public Object[] read(long start, int count) {
      if (categories == null) {
        categories = slice(categoriesDataset, 0, categoriesDataset.getDimensions()[0]);
        for (int i = 0; i < categories.length; i++) { // numeric categories by their text
          if (!(categories[i] instanceof UTF8String) && categories[i] != null) {
            categories[i] = UTF8String.fromString(String.valueOf(categories[i]));
          }
        }
      }
      long[] code = codes.read(start, count);
      Object[] out = new Object[count];
      for (int i = 0; i < count; i++) {
        long c = code[i];
        out[i] = c < 0 || c >= categories.length ? null : categories[(int) c];
      }
      return out;
    }
  }

  /** A plain field of anndata 0.6's compound dataframe. */
  static final class RecordField extends ObsColumn {
    private final Dataset records;

    RecordField(String name, ColumnKind kind, Dataset records) {
      super(name, kind);
      this.records = records;
    }

    @Override
    public Object[] read(long start, int count) {
      Object[] v = sliceField(records, name(), start, count);
      return kind() == ColumnKind.BOOLEAN ? toBooleans(v) : v;
    }
  }

  /** anndata's nullable encodings: a values array and a boolean mask (true = missing). */
  static final class Masked extends ObsColumn {
    private final Dataset values;
    private final Dataset mask;

    Masked(String name, ColumnKind kind, Dataset values, Dataset mask) {
      super(name, kind);
      this.values = values;
      this.mask = mask;
    }

    @Override
    public Object[] read(long start, int count) {
      Object[] v = slice(values, start, count);
      if (kind() == ColumnKind.BOOLEAN) {
        toBooleans(v);
      }
      Object[] m = toBooleans(slice(mask, start, count));
      for (int i = 0; i < count; i++) {
        if (Boolean.TRUE.equals(m[i])) {
          v[i] = null;
        }
      }
      return v;
    }
  }
}
