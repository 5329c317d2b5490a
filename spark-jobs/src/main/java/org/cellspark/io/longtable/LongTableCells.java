package org.cellspark.io.longtable;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.ObsValues;
import org.cellspark.spark.InternalRowsRelation;

/**
 * A long table's cells as rows of {@link CellCountsSchema}: gene IDs become indices into the
 * table's gene table by a broadcast join, one shuffle groups each cell's rows (sorted by gene), and
 * attributes are the cell's one value (min and max are both taken: a cell whose rows disagree is
 * refused). Rows have no file order, so row_index is -1.
 */
public final class LongTableCells {
  private static final String GENE_INDEX = "_gene_index";
  private static final String PAIRS = "_pairs";

  private LongTableCells() {}

  public static Dataset<Row> read(SparkSession spark, LongTable t, StructType obs) {
    Dataset<Row> cells = grouped(spark, t, obs.fields());
    JavaRDD<InternalRow> out =
        cells.queryExecution().toRdd().toJavaRDD().map(new CellRow(t, obs, cells.schema()));
    return InternalRowsRelation.dataFrame(spark, CellCountsSchema.of(obs), out.rdd());
  }

  /**
   * One row per cell: its (gene index, count) pairs sorted by gene, and per attribute its minimum
   * and maximum over the cell's rows (or the cell table's value, twice).
   */
  private static Dataset<Row> grouped(SparkSession spark, LongTable t, StructField[] fields) {
    List<Row> genes = new ArrayList<>();
    for (int i = 0; i < t.geneIds().length; i++) {
      genes.add(RowFactory.create(t.geneIds()[i], i));
    }
    Dataset<Row> geneTable =
        spark.createDataFrame(
            genes,
            new StructType()
                .add(LongTable.GENE_ID, DataTypes.StringType, false)
                .add(GENE_INDEX, DataTypes.IntegerType, false));
    Dataset<Row> rows =
        LongTable.parquet(spark, t.file().location(), t.file().name())
            .join(broadcast(geneTable), LongTable.GENE_ID);
    List<Column> aggs = new ArrayList<>();
    aggs.add(
        sort_array(
                collect_list(
                    struct(col(GENE_INDEX), col(LongTable.COUNT).cast(DataTypes.DoubleType))))
            .as(PAIRS));
    boolean onRows = t.cellTable() == null;
    for (StructField f : fields) {
      if (onRows && t.columns().containsKey(f.name())) {
        DataType type = t.columns().get(f.name()).sparkType();
        aggs.add(min(col(f.name()).cast(type)).as("_min_" + f.name()));
        aggs.add(max(col(f.name()).cast(type)).as("_max_" + f.name()));
      }
    }
    Dataset<Row> cells =
        rows.groupBy(col(LongTable.CELL_ID))
            .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
    if (onRows) {
      return cells;
    }
    Dataset<Row> attrs = LongTable.parquet(spark, t.cellTable(), t.cellTable());
    List<Column> keep = new ArrayList<>(List.of(col(LongTable.CELL_ID)));
    for (StructField f : fields) {
      if (t.columns().containsKey(f.name())) {
        DataType type = t.columns().get(f.name()).sparkType();
        keep.add(col(f.name()).cast(type).as("_min_" + f.name()));
        keep.add(col(f.name()).cast(type).as("_max_" + f.name()));
      }
    }
    return cells.join(
        attrs.select(keep.toArray(new Column[0])), new String[] {LongTable.CELL_ID}, "left");
  }

  /**
   * A grouped cell as a {@link CellCountsSchema} row; refuses a cell without an ID, a gene on two
   * rows of one cell, and an attribute with two values in one cell.
   */
  private static final class CellRow implements Function<InternalRow, InternalRow> {
    private final String name;
    private final UTF8String source;
    private final String[] geneIds;
    private final StructField[] fields;
    private final int pairsAt;
    private final int[] minAt;
    private final int[] maxAt;
    private final DataType[] nativeTypes;

    CellRow(LongTable t, StructType obs, StructType grouped) {
      this.name = t.file().name();
      this.source = UTF8String.fromString(t.file().uri());
      this.geneIds = t.geneIds();
      this.fields = obs.fields();
      List<String> names = List.of(grouped.fieldNames());
      this.pairsAt = names.indexOf(PAIRS);
      this.minAt = new int[fields.length];
      this.maxAt = new int[fields.length];
      this.nativeTypes = new DataType[fields.length];
      for (int k = 0; k < fields.length; k++) {
        minAt[k] = names.indexOf("_min_" + fields[k].name());
        maxAt[k] = names.indexOf("_max_" + fields[k].name());
        nativeTypes[k] = minAt[k] < 0 ? null : grouped.fields()[minAt[k]].dataType();
      }
    }

    @Override
    public InternalRow call(InternalRow r) {
      if (r.isNullAt(0)) {
        throw UserException.of(
            "Input %s has rows with no cell_id; every row must name its cell", name);
      }
      UTF8String cell = r.getUTF8String(0);
      ArrayData pairs = r.getArray(pairsAt);
      int n = pairs.numElements();
      int[] g = new int[n];
      double[] v = new double[n];
      for (int k = 0; k < n; k++) {
        InternalRow p = pairs.getStruct(k, 2);
        g[k] = p.getInt(0);
        v[k] = p.isNullAt(1) ? Double.NaN : p.getDouble(1);
        if (k > 0 && g[k] == g[k - 1]) {
          throw UserException.of(
              "Input %s: cell '%s' has gene %s on more than one row; a long table holds"
                  + " one row per cell and gene (sum them first)",
              name, cell, geneIds[g[k]]);
        }
      }
      return new GenericInternalRow(
          new Object[] {
            cell.clone(),
            source,
            -1L,
            UnsafeArrayData.fromPrimitiveArray(g),
            UnsafeArrayData.fromPrimitiveArray(v),
            attributes(r, cell)
          });
    }

    private GenericInternalRow attributes(InternalRow r, UTF8String cell) {
      GenericInternalRow o = new GenericInternalRow(fields.length);
      for (int k = 0; k < fields.length; k++) {
        if (minAt[k] < 0 || r.isNullAt(minAt[k])) {
          continue;
        }
        Object lo = copy(r.get(minAt[k], nativeTypes[k]));
        Object hi = copy(r.get(maxAt[k], nativeTypes[k]));
        if (!lo.equals(hi)) {
          throw UserException.of(
              "Input %s: column '%s' is not one value per cell: cell '%s' has %s and %s"
                  + " on its rows",
              name, fields[k].name(), cell, lo, hi);
        }
        Object value = ObsValues.as(lo, fields[k].dataType());
        if (value == ObsValues.MISMATCH) {
          throw UserException.of(
              "Input %s: column '%s' of cell '%s' is %s, but the column is %s in the"
                  + " other inputs; make it the same type in every input",
              name, fields[k].name(), cell, lo, fields[k].dataType().simpleString());
        }
        o.update(k, value);
      }
      return o;
    }
  }

  /** Strings of Spark's row buffers point into them; the buffer is reused for the next row. */
  private static Object copy(Object v) {
    return v instanceof UTF8String s ? s.clone() : v;
  }
}
