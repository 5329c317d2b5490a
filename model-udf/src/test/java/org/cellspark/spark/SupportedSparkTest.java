package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Which Spark a session may be made on: the 3.5 line on Scala 2.12, what Cellspark is built for. A
 * Spark 4 cluster (Scala 2.13) let the session start and failed the first job with a
 * NoSuchMethodError, reported as an internal error; checked by hand with Spark 4.0.1's own jars in
 * place of 3.5's (the application jar's Main then exits 2 with the message below).
 */
@ExtendWith(SharedSpark.class)
class SupportedSparkTest {
  @Test
  void theSpark35LineOnScala212RunsAndOthersAreRefusedWithTheWayOut() {
    assertThat(SupportedSpark.problem("3.5.9", "2.12.18")).isEmpty();
    assertThat(SupportedSpark.problem("3.5.0", "2.12.17")).isEmpty();
    assertThat(SupportedSpark.problem("3.4.1", "2.12.17")).isPresent();
    assertThat(SupportedSpark.problem("3.5.1", "2.13.8")).isPresent();
    assertThat(SupportedSpark.problem("3.50.0", "2.12.18")).isPresent();
    assertThat(SupportedSpark.problem("4.0.1", "2.13.16"))
        .hasValue(
            "This Cellspark is built for Apache Spark 3.5 with Scala 2.12, and this JVM runs Spark"
                + " 4.0.1 with Scala 2.13.16. Run it on a Spark 3.5 cluster (EMR 7, Dataproc 2.2,"
                + " or any spark-submit of Spark 3.5), or on the Spark it bundles: bin/cellspark.");
    assertThat(SupportedSpark.problem(null, "2.13.16"))
        .hasValueSatisfying(m -> assertThat(m).contains("runs Spark of another line"));
  }

  /** The Spark the build brings passes the check every session makes. */
  @Test
  void theBuildsOwnSparkPasses(SparkSession spark) {
    assertThat(SupportedSpark.problem(spark.version(), scala.util.Properties.versionNumberString()))
        .isEmpty();
  }
}
