package org.cellspark.io.h5ad;

import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.object.datatype.CompoundDataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.RowNames;

/**
 * An AnnData dataframe ({@code obs}, {@code var}, {@code raw/var}): its index (cell or gene names)
 * and its columns, in the order anndata recorded ({@code column-order}). anndata 0.7 and later
 * write a group of one dataset (or group) per column; anndata 0.6 and earlier wrote one compound
 * dataset (a numpy record array) whose fields are the index ({@code index}) and the columns,
 * categorical columns as integer codes whose categories are in {@code uns/<column>_categories}.
 */
public final class DataFrameGroup {
  /** The index field of anndata 0.6's compound dataframes. */
  private static final String RECORDS_INDEX = "index";

  private final String fileName;
  private final String path;
  private final Group group;

  /** anndata 0.6: the compound dataset holding index and columns; else null. */
  private final Dataset records;

  /** The index's strings: a dataset, or a nullable index's values. */
  private final Dataset index;

  /**
   * A nullable string index (anndata 0.13 writes pandas 3's string indexes so: values and a mask),
   * read through its mask; else null.
   */
  private final ObsColumn nullableIndex;

  private final Map<String, Node> columnNodes = new LinkedHashMap<>();
  private final Group legacyCategories;

  /**
   * Whether {@code node} holds an AnnData dataframe: a group, or a 1-D compound dataset (anndata
   * 0.6).
   */
  static boolean isDataFrame(Node node) {
    return node instanceof Group
        || node instanceof Dataset d
            && d.getDataType() instanceof CompoundDataType
            && d.getDimensions().length == 1;
  }

  /**
   * The dataframe at {@code node} ({@link #isDataFrame}); {@code uns} is the AnnData's uns group
   * (categories of anndata 0.6's columns), or null.
   */
  static DataFrameGroup of(String fileName, String path, Node node, Group uns) {
    return node instanceof Group g
        ? new DataFrameGroup(fileName, path, g)
        : new DataFrameGroup(fileName, path, (Dataset) node, uns);
  }

  private DataFrameGroup(String fileName, String path, Dataset records, Group uns) {
    this.fileName = fileName;
    this.path = path;
    this.group = null;
    this.records = records;
    this.index = records;
    this.nullableIndex = null;
    this.legacyCategories = uns;
    List<String> fields =
        ((CompoundDataType) records.getDataType())
            .getMembers().stream().map(CompoundDataType.CompoundDataMember::getName).toList();
    if (!fields.contains(RECORDS_INDEX)) {
      throw UserException.of(
          "%s: '%s' is a compound dataset without an 'index' field (fields: %s); it is not an"
              + " AnnData dataframe as anndata 0.6 wrote it",
          fileName, path, String.join(", ", fields));
    }
    for (String f : fields) {
      if (!f.equals(RECORDS_INDEX)) {
        columnNodes.put(f, records);
      }
    }
  }

  private DataFrameGroup(String fileName, String path, Group group) {
    this.fileName = fileName;
    this.path = path;
    this.group = group;
    this.records = null;
    String indexName = H5adFile.stringAttribute(group, "_index");
    Node indexNode = group.getChildren().get(indexName == null ? "_index" : indexName);
    if (indexNode == null && indexName == null) {
      indexNode = group.getChildren().get("index");
    }
    if (indexNode instanceof Dataset d && d.getDimensions().length == 1) {
      this.index = d;
      this.nullableIndex = null;
    } else if (indexNode instanceof Group g
        && "nullable-string-array".equals(H5adFile.stringAttribute(g, "encoding-type"))
        && g.getChildren().get("values") instanceof Dataset values
        && values.getDimensions().length == 1
        && g.getChildren().get("mask") instanceof Dataset) {
      // anndata 0.13 with pandas 3, whose strings have a dtype of their own: obs_names and
      // var_names are written as a nullable string array.
      this.index = values;
      this.nullableIndex = ObsColumn.of(indexNode.getName(), g, null);
    } else {
      throw UserException.of(
          "%s: '%s' has no index dataset ('%s'); the file is not a complete AnnData file",
          fileName, path, indexName == null ? "_index" : indexName);
    }
    Node cats = group.getChildren().get("__categories");
    this.legacyCategories = cats instanceof Group g ? g : null;
    for (String name : columnOrder()) {
      Node n = group.getChildren().get(name);
      if (n != null) {
        columnNodes.put(name, n);
      }
    }
    // Columns not listed in column-order (older writers): take them in storage order.
    for (Map.Entry<String, Node> e : group.getChildren().entrySet()) {
      String name = e.getKey();
      if (!columnNodes.containsKey(name)
          && !name.equals(indexNode.getName())
          && !name.equals("__categories")) {
        columnNodes.put(name, e.getValue());
      }
    }
  }

  private List<String> columnOrder() {
    Attribute a = group.getAttribute("column-order");
    List<String> out = new ArrayList<>();
    if (a != null && !a.isEmpty()) {
      Object data = a.getData();
      if (data instanceof String[] names) {
        out.addAll(List.of(names));
      } else if (data instanceof String name) {
        out.add(name);
      }
    }
    return out;
  }

  public String path() {
    return path;
  }

  public long rows() {
    return index.getDimensions()[0];
  }

  /** Whether this is anndata 0.6's compound layout. */
  public boolean isRecords() {
    return records != null;
  }

  /** Column names, in anndata's order. */
  public List<String> columnNames() {
    return new ArrayList<>(columnNodes.keySet());
  }

  public boolean hasColumn(String name) {
    return columnNodes.containsKey(name);
  }

  /** The column, or null when absent; throws a UserException for an encoding we cannot read. */
  public ObsColumn column(String name) {
    Node node = columnNodes.get(name);
    if (node == null) {
      return null;
    }
    ObsColumn c = readable(name, node);
    if (c == null) {
      throw UserException.of(
          "%s: column '%s' of '%s' has an encoding Cellspark cannot read as one value per row (%s);"
              + " leave it out or convert it to a plain, categorical or nullable column",
          fileName, name, path, describe(node));
    }
    return c;
  }

  /** Columns that read as one value per row; others are left out of schemas. */
  public List<ObsColumn> readableColumns() {
    List<ObsColumn> out = new ArrayList<>();
    for (Map.Entry<String, Node> e : columnNodes.entrySet()) {
      ObsColumn c = readable(e.getKey(), e.getValue());
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  private ObsColumn readable(String name, Node node) {
    return records != null
        ? ObsColumn.ofRecordField(name, records, legacyCategories)
        : ObsColumn.of(name, node, legacyCategories);
  }

  /** The index values (cell IDs or gene names) of rows {@code [start, start + count)}. */
  public String[] indexStrings(long start, int count) {
    if (nullableIndex != null) {
      return RowNames.of(nullableIndex.read(start, count), start, fileName, path);
    }
    Object[] v =
        records != null
            ? ObsColumn.sliceField(records, RECORDS_INDEX, start, count)
            : ObsColumn.slice(index, start, count);
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      out[i] =
          v[i] == null ? null : v[i] instanceof UTF8String u ? u.toString() : String.valueOf(v[i]);
    }
    return out;
  }

  /** The whole index; only for gene tables (tens of thousands of rows), never for cells. */
  public String[] allIndexStrings() {
    return indexStrings(0, Math.toIntExact(rows()));
  }

  /** A whole string column (gene tables only). */
  public String[] allStrings(String column) {
    ObsColumn c = column(column);
    Object[] v = c.read(0, Math.toIntExact(rows()));
    String[] out = new String[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] == null ? null : v[i].toString();
    }
    return out;
  }

  private String describe(Node node) {
    if (records != null) {
      return "a compound dataset field";
    }
    if (node instanceof Group g) {
      String enc = H5adFile.stringAttribute(g, "encoding-type");
      return "a group" + (enc == null ? "" : " with encoding-type " + enc);
    }
    Dataset d = (Dataset) node;
    return d.getDimensions().length + "-D " + d.getDataType().getClass().getSimpleName();
  }
}
