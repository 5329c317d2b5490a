package org.cellspark.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Assertions over token tables written by `cellspark tokenize`. */
public final class TokenTables {
  private TokenTables() {}

  /** Same cells, and per cell the same tokens and the same n_counts. */
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

  private static Map<String, Row> byCell(SparkSession spark, String folder) {
    return spark
        .read()
        .parquet(folder)
        .select("cell_id", "input_ids", "n_counts")
        .collectAsList()
        .stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
  }
}
