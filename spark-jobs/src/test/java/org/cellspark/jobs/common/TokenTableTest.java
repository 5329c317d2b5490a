package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token tables are read in small vectorized batches while a job runs, unless the user chose a size;
 * int64 token ids (upstream's) are read as the int32 the model takes, and an id no int32 holds as
 * null (which the model check refuses by cell), not wrapped into another id.
 */
@ExtendWith(SharedSpark.class)
class TokenTableTest {
  @TempDir Path tmp;

  /** A table as upstream's tokenizer writes it: int64 ids, no cell_id (cells are FILE:ROW). */
  private static String upstreamTable(SparkSession spark, Path dir, long[]... cells) {
    StructType schema =
        new StructType().add("input_ids", DataTypes.createArrayType(DataTypes.LongType));
    spark
        .createDataFrame(
            java.util.Arrays.stream(cells).map(c -> RowFactory.create((Object) c)).toList(), schema)
        .coalesce(1)
        .write()
        .parquet(dir.toString());
    return dir.toString();
  }

  @Test
  void int64IdsAreReadAsTheSameInt32Ids(SparkSession spark) {
    String table =
        upstreamTable(
            spark, tmp.resolve("ok"), new long[] {0, 5, Integer.MAX_VALUE}, new long[] {25_425, 1});
    List<Row> rows = TokenTables.rowsByCellId(spark, table, "input_ids", "cell_id");
    assertThat(TokenTable.read(spark, table).cells().schema().apply("input_ids").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.IntegerType));
    assertThat(rows.stream().map(r -> r.<Integer>getList(0)).toList())
        .containsExactly(List.of(0, 5, Integer.MAX_VALUE), List.of(25_425, 1));
  }

  @Test
  void anInt64IdNoInt32HoldsIsReadAsNullNotAsAnotherId(SparkSession spark) {
    // 2^32 + 7 would wrap to 7, a valid-looking id, under a plain cast (Spark 3.5), and fail the
    // job under an ANSI one (Spark 4); as a null, the model check refuses the cell by name.
    String table =
        upstreamTable(
            spark, tmp.resolve("wide"), new long[] {0, 5, 6}, new long[] {5, (1L << 32) + 7, 7});
    List<Row> rows = TokenTables.rowsByCellId(spark, table, "input_ids", "cell_id");
    assertThat(rows.stream().map(r -> r.<Integer>getList(0)).toList())
        .containsExactly(List.of(0, 5, 6), java.util.Arrays.asList(5, null, 7));
  }

  @Test
  void jobsReadTokenTablesInSmallBatchesUnlessTheUserChoseASize(SparkSession spark) {
    assertThat(spark.sessionState().conf().contains(TokenTable.READER_BATCH_ROWS)).isFalse();
    assertThat(
            TokenTable.withReaderBatches(
                spark, () -> spark.conf().get(TokenTable.READER_BATCH_ROWS)))
        .isEqualTo(Integer.toString(TokenTable.TOKEN_READER_BATCH_ROWS));
    assertThat(spark.sessionState().conf().contains(TokenTable.READER_BATCH_ROWS))
        .as("restored")
        .isFalse();

    spark.conf().set(TokenTable.READER_BATCH_ROWS, "1024");
    try {
      assertThat(
              TokenTable.withReaderBatches(
                  spark, () -> spark.conf().get(TokenTable.READER_BATCH_ROWS)))
          .isEqualTo("1024");
    } finally {
      spark.conf().unset(TokenTable.READER_BATCH_ROWS);
    }
  }
}
