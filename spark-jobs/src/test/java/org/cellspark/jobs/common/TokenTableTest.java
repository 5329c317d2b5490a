package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Token tables are read in small vectorized batches while a job runs, unless the user chose a size.
 */
@ExtendWith(SharedSpark.class)
class TokenTableTest {
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
