package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A command run on a session that was already running (a notebook's, this suite's) leaves its
 * settings as they were, whether the command succeeds or fails: the next job on the session must
 * not inherit one command's {@code --conf}.
 */
@ExtendWith(SharedSpark.class)
class SparkArgsTest {
  @Test
  void settingsOfACommandAreTakenBackFromASharedSession(SparkSession spark) {
    String before = spark.conf().get("spark.sql.shuffle.partitions");
    assertThat(spark.conf().getOption("spark.hadoop.ipc.client.connect.max.retries").isDefined())
        .isFalse();
    CliRun run =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.bad("negative.h5ad").toString(),
            "--vocabulary",
            Fixtures.vocab("vocab-v2-small").toString(),
            "--output",
            "/nonexistent/never-written",
            "--conf",
            "spark.sql.shuffle.partitions=7",
            "--conf",
            "spark.hadoop.ipc.client.connect.max.retries=0");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo(before);
    assertThat(spark.conf().getOption("spark.hadoop.ipc.client.connect.max.retries").isDefined())
        .isFalse();
  }
}
