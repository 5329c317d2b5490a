package org.cellspark.io.h5ad;

import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;

/**
 * An AnnData dataframe group ({@code obs}, {@code var}, {@code raw/var}): its index (cell or gene
 * names) and its columns, in the order anndata recorded ({@code column-order}).
 */
public final class DataFrameGroup {
  private final String fileName;
  private final String path;
  private final Group group;
  private final Dataset index;
  private final Map<String, Node> columnNodes = new LinkedHashMap<>();
  private final Group legacyCategories;

  DataFrameGroup(String fileName, String path, Group group) {
    this.fileName = fileName;
    this.path = path;
    this.group = group;
    String indexName = H5adFile.stringAttribute(group, "_index");
    Node indexNode = group.getChildren().get(indexName == null ? "_index" : indexName);
    if (indexNode == null && indexName == null) {
      indexNode = group.getChildren().get("index");
    }
    if (!(indexNode instanceof Dataset d) || d.getDimensions().length != 1) {
      throw UserException.of(
          "%s: '%s' has no index dataset ('%s'); the file is not a complete AnnData file",
          fileName, path, indexName == null ? "_index" : indexName);
    }
    this.index = d;
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
    ObsColumn c = ObsColumn.of(name, node, legacyCategories);
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
      ObsColumn c = ObsColumn.of(e.getKey(), e.getValue(), legacyCategories);
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  /** The index values (cell IDs or gene names) of rows {@code [start, start + count)}. */
  public String[] indexStrings(long start, int count) {
    Object[] v = ObsColumn.slice(index, start, count);
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      out[i] = v[i] == null ? null : v[i] instanceof UTF8String u ? u.toString() : String.valueOf(v[i]);
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

  private static String describe(Node node) {
    if (node instanceof Group g) {
      String enc = H5adFile.stringAttribute(g, "encoding-type");
      return "a group" + (enc == null ? "" : " with encoding-type " + enc);
    }
    Dataset d = (Dataset) node;
    return d.getDimensions().length + "-D " + d.getDataType().getClass().getSimpleName();
  }
}
