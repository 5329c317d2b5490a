package org.cellspark.io.longtable;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystems;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.ParquetTables;
import org.cellspark.io.cells.ColumnKind;

/**
 * A Parquet long table of counts, one row per stored value: {@code cell_id}, {@code gene_id},
 * {@code count}, and optionally cell attributes, either repeated on every row of the cell (other
 * columns of the table) or in a second table keyed by {@code cell_id} ({@code --cell-table}).
 * Opening reads the schema and, in one Spark job over the {@code gene_id} column, the gene table
 * (distinct IDs, sorted: a cell's gene index points into it) and the row count.
 *
 * @param file the table (a Parquet file or folder)
 * @param geneIds the distinct gene IDs, sorted
 * @param rows stored values
 * @param columns cell attributes and their kinds (from the cell table when one is given)
 * @param cellTable the cell attribute table's URI, or null
 */
public record LongTable(
    InputFile file, String[] geneIds, long rows, Map<String, ColumnKind> columns, String cellTable)
    implements Serializable {

  public static final String CELL_ID = "cell_id";
  public static final String GENE_ID = "gene_id";
  public static final String COUNT = "count";

  /** A {@code .parquet} file, or a folder holding {@code .parquet} files. */
  public static boolean isLongTable(String spec, Configuration conf) {
    if (spec.endsWith(".parquet")) {
      return true;
    }
    Path p = new Path(spec);
    try {
      FileSystem fs = FileSystems.of(p, conf);
      if (!fs.exists(p) || !fs.getFileStatus(p).isDirectory()) {
        return false;
      }
      for (FileStatus s : fs.listStatus(p)) {
        if (s.isFile() && s.getPath().getName().endsWith(".parquet")) {
          return true;
        }
      }
      return false;
    } catch (IOException | IllegalArgumentException e) {
      return false; // globs and unreadable paths: the .h5ad expansion reports them
    }
  }

  public static LongTable open(SparkSession spark, InputFile f, String cellTable) {
    Dataset<Row> table = parquet(spark, f.location(), f.name());
    StructType schema = table.schema();
    require(schema, CELL_ID, StringType.class, "text", f.name());
    require(schema, GENE_ID, StringType.class, "text", f.name());
    require(schema, COUNT, NumericType.class, "numbers", f.name());
    Map<String, ColumnKind> columns;
    if (cellTable != null) {
      StructType cells = parquet(spark, cellTable, cellTable).schema();
      require(cells, CELL_ID, StringType.class, "text", cellTable);
      columns = attributes(cells, Set.of(CELL_ID));
    } else {
      columns = attributes(schema, Set.of(CELL_ID, GENE_ID, COUNT));
    }
    spark.sparkContext().setJobDescription("read the gene table of " + f.name());
    List<Row> genes = table.groupBy(col(GENE_ID)).count().collectAsList();
    spark.sparkContext().setJobDescription(null);
    long rows = 0;
    List<String> ids = new ArrayList<>(genes.size());
    for (Row g : genes) {
      if (g.isNullAt(0)) {
        throw UserException.of(
            "Input %s: %,d rows have no gene_id; every row must name its gene",
            f.name(), g.getLong(1));
      }
      ids.add(g.getString(0));
      rows += g.getLong(1);
    }
    String[] sorted = ids.toArray(new String[0]);
    Arrays.sort(sorted);
    return new LongTable(f, sorted, rows, columns, cellTable);
  }

  public String describe() {
    return String.format(
        Locale.ROOT,
        "Parquet long table, %,d rows, %,d genes, cell attributes %s",
        rows,
        geneIds.length,
        cellTable == null ? "on the rows" : "from " + cellTable);
  }

  static Dataset<Row> parquet(SparkSession spark, String uri, String name) {
    return ParquetTables.read(
        spark,
        uri,
        (e, why) -> UserException.because(e, "Cannot read %s as Parquet: %s", name, why));
  }

  private static void require(
      StructType schema, String column, Class<? extends DataType> type, String what, String name) {
    StructField f =
        Arrays.stream(schema.fields())
            .filter(x -> x.name().equals(column))
            .findFirst()
            .orElse(null);
    if (f == null) {
      throw UserException.of(
          "Input %s has no column '%s'; a long table needs cell_id, gene_id and count (it has: %s)",
          name, column, String.join(", ", schema.fieldNames()));
    }
    if (!type.isInstance(f.dataType())) {
      throw UserException.of(
          "Input %s: column '%s' is %s; it must hold %s",
          name, column, f.dataType().simpleString(), what);
    }
  }

  /** Columns usable as annotations, with their kinds; others (arrays, maps, dates) are left out. */
  private static Map<String, ColumnKind> attributes(StructType schema, Set<String> skip) {
    Map<String, ColumnKind> out = new LinkedHashMap<>();
    for (StructField f : schema.fields()) {
      if (skip.contains(f.name())) {
        continue;
      }
      DataType t = f.dataType();
      ColumnKind k =
          t instanceof StringType
              ? ColumnKind.STRING
              : t instanceof BooleanType
                  ? ColumnKind.BOOLEAN
                  : t instanceof DoubleType || t instanceof FloatType || t instanceof DecimalType
                      ? ColumnKind.DOUBLE
                      : t instanceof NumericType ? ColumnKind.LONG : null;
      if (k != null) {
        out.put(f.name(), k);
      }
    }
    return out;
  }
}
