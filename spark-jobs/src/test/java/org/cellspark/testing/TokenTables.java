package org.cellspark.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.tokenize.TokenizeOptions;

/** Token tables for tests: the options that make them, and assertions over them. */
public final class TokenTables {
  private TokenTables() {}

  /**
   * Options to tokenize {@code input} with Geneformer's V1 vocabulary as the fixtures need it
   * (their gene tables are small, so a low --min-gene-match); add the output and anything else.
   */
  public static TokenizeOptions.Builder v1(String input) {
    return TokenizeOptions.builder()
        .input(input)
        .vocabulary("builtin:geneformer-v1")
        .minGeneMatch(0.1);
  }

  /**
   * Writes {@code cells} as a token table into {@code folder}: cell_id (c0000, c0001, ...),
   * input_ids, length, and donor ({@code donorOf} the cell's number). Returns the folder.
   */
  public static String write(
      SparkSession spark, Path folder, List<List<Integer>> cells, IntFunction<String> donorOf) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < cells.size(); c++) {
      List<Integer> cell = cells.get(c);
      rows.add(
          RowFactory.create(
              String.format("c%04d", c),
              cell.toArray(new Integer[0]),
              cell.size(),
              donorOf.apply(c)));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("length", DataTypes.IntegerType)
            .add("donor", DataTypes.StringType);
    spark.createDataFrame(rows, schema).write().parquet(folder.toString());
    return folder.toString();
  }

  /**
   * Same cells, and per cell the same tokens and the same n_counts (either table Parquet or a
   * Hugging Face dataset).
   */
  public static void assertSameTokensAndCounts(SparkSession spark, String expected, String actual) {
    Map<String, Row> a = byCell(spark, expected);
    Map<String, Row> b = byCell(spark, actual);
    assertThat(b.keySet()).isEqualTo(a.keySet());
    a.forEach(
        (cell, r) -> {
          assertThat(b.get(cell).<Integer>getList(1)).as(cell).isEqualTo(r.<Integer>getList(1));
          assertThat(b.get(cell).getDouble(2)).as("%s n_counts", cell).isEqualTo(r.getDouble(2));
        });
  }

  /** A Parquet token table's tokens by cell ID (cell IDs sorted). */
  public static Map<String, List<Integer>> tokensByCell(SparkSession spark, String table) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Row row : spark.read().parquet(table).collectAsList()) {
      out.put(row.getString(row.fieldIndex("cell_id")), row.getList(row.fieldIndex("input_ids")));
    }
    return out;
  }

  /**
   * A copy of a Parquet token table in {@code out} in which cell {@code cellId} holds {@code ids}
   * alone (ids a model may not take). Returns the copy's location.
   */
  public static String withCellTokens(
      SparkSession spark, String table, String cellId, Path out, int... ids) {
    Column replaced =
        functions.array(Arrays.stream(ids).mapToObj(functions::lit).toArray(Column[]::new));
    spark
        .read()
        .parquet(table)
        .withColumn(
            "input_ids",
            functions
                .when(functions.col("cell_id").equalTo(cellId), replaced)
                .otherwise(functions.col("input_ids")))
        .write()
        .parquet(out.toString());
    return out.toString();
  }

  /** The columns of a token table (Parquet or a Hugging Face dataset), read as the jobs read it. */
  public static List<Row> rowsByCellId(SparkSession spark, String table, String... columns) {
    return TokenTable.read(spark, table)
        .cells()
        .selectExpr(columns)
        .orderBy("cell_id")
        .collectAsList();
  }

  private static Map<String, Row> byCell(SparkSession spark, String table) {
    return TokenTable.read(spark, table)
        .cells()
        .select("cell_id", "input_ids", "n_counts")
        .collectAsList()
        .stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
  }
}
