package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.cli.Main;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands run one after another in one JVM (a Java program or a notebook's JVM calling {@code
 * Main.execute}), with no session of their own to reuse: each starts a session and stops it, and a
 * stopped session stays the thread's active one (Spark clears only its default session), so the
 * next command must start a new one rather than run on the stopped one.
 */
class CommandsInOneJvmIT {
  @TempDir Path tmp;

  private static String[] tokenize(Path out) {
    return new String[] {
      "tokenize",
      "--input",
      Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
      "--vocabulary",
      Fixtures.vocab("vocab-v2-small").toString(),
      "--conf",
      "spark.master=local[1]",
      "--output",
      out.toString()
    };
  }

  @Test
  void eachCommandStartsASessionWhenTheThreadsSessionIsStopped() {
    SparkSessionFactory.getOrCreate(
            "stopped-before", Map.of("spark.master", "local[1]", "spark.ui.enabled", "false"))
        .stop();
    // Spark 3.5 keeps the stopped session as the thread's active one (what this test is about);
    // Spark 4.0 clears it, and the commands must run either way.
    if (SparkSession.getActiveSession().isDefined()) {
      assertThat(SparkSession.getActiveSession().get().sparkContext().isStopped()).isTrue();
    }
    assertThat(Main.execute(tokenize(tmp.resolve("first")))).isZero();
    assertThat(Main.execute(tokenize(tmp.resolve("second")))).isZero();
    assertThat(tmp.resolve("second/_cellspark.json")).isRegularFile();
  }
}
