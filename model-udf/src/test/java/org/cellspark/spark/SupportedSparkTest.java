package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Which Spark a session may be made on: the line the build is for, 3.5 on Scala 2.12 by default,
 * 4.0 and 4.2 on Scala 2.13 with -Pspark-4.0 and -Pspark-4.2. A Spark 4 cluster let the 3.5 build's
 * session start and failed the first job with a NoSuchMethodError, reported as an internal error;
 * checked by hand with Spark 4.0.1's own jars in place of 3.5's (the application jar's Main then
 * exits 2 with the message below).
 */
@ExtendWith(SharedSpark.class)
class SupportedSparkTest {
  @Test
  void theBuildsOwnLineRunsAndOthersAreRefusedWithTheWayOut() {
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.5.9", "2.12.18")).isEmpty();
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.5.0", "2.12.17")).isEmpty();
    assertThat(SupportedSpark.problem("4.0", "2.13", "4.0.1", "2.13.16")).isEmpty();
    assertThat(SupportedSpark.problem("4.2", "2.13", "4.2.0", "2.13.18")).isEmpty();
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.4.1", "2.12.17")).isPresent();
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.5.1", "2.13.8")).isPresent();
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.50.0", "2.12.18")).isPresent();
    assertThat(SupportedSpark.problem("4.0", "2.13", "4.1.1", "2.13.17")).isPresent();
    assertThat(SupportedSpark.problem("3.5", "2.12", "4.1.1", "2.13.17"))
        .hasValueSatisfying(m -> assertThat(m).contains("Cellspark builds for Spark 3.5"));
    assertThat(SupportedSpark.problem("3.5", "2.12", "4.0.1", "2.13.16"))
        .hasValue(
            "This Cellspark is built for Apache Spark 3.5 with Scala 2.12, and this JVM runs Spark"
                + " 4.0.1 with Scala 2.13.16. Use Cellspark's build for Spark 4.0: the application"
                + " jar app/target/spark-4.0/cellspark-app-<version>-spark-4.0.jar, made by mvn"
                + " -Pspark-4.0 -DskipTests package.");
    assertThat(SupportedSpark.problem("4.0", "2.13", "3.5.9", "2.12.18"))
        .hasValue(
            "This Cellspark is built for Apache Spark 4.0 with Scala 2.13, and this JVM runs Spark"
                + " 3.5.9 with Scala 2.12.18. Use Cellspark's build for Spark 3.5: the application"
                + " jar app/target/cellspark-app-<version>.jar, made by mvn -DskipTests package.");
    assertThat(SupportedSpark.problem("3.5", "2.12", "3.4.1", "2.12.17"))
        .hasValue(
            "This Cellspark is built for Apache Spark 3.5 with Scala 2.12, and this JVM runs Spark"
                + " 3.4.1 with Scala 2.12.17. Cellspark builds for Spark 3.5 (Scala 2.12; EMR 7,"
                + " Dataproc 2.2: mvn -DskipTests package), 4.0 (Scala 2.13: mvn -Pspark-4.0"
                + " -DskipTests package) and 4.2 (Scala 2.13: mvn -Pspark-4.2 -DskipTests package);"
                + " run it on one of those, or on the Spark it bundles: bin/cellspark.");
    // A pip-installed PySpark today is 4.2: the 4.0 build names the 4.2 one, and the reverse.
    assertThat(SupportedSpark.problem("4.0", "2.13", "4.2.0", "2.13.17"))
        .hasValue(
            "This Cellspark is built for Apache Spark 4.0 with Scala 2.13, and this JVM runs Spark"
                + " 4.2.0 with Scala 2.13.17. Use Cellspark's build for Spark 4.2: the application"
                + " jar app/target/spark-4.2/cellspark-app-<version>-spark-4.2.jar, made by mvn"
                + " -Pspark-4.2 -DskipTests package.");
    assertThat(SupportedSpark.problem("4.2", "2.13", "4.0.1", "2.13.16"))
        .hasValueSatisfying(m -> assertThat(m).contains("Use Cellspark's build for Spark 4.0"));
    assertThat(SupportedSpark.problem("4.2", "2.13", "4.1.1", "2.13.17"))
        .hasValueSatisfying(m -> assertThat(m).contains("Cellspark builds for Spark 3.5"));
    assertThat(SupportedSpark.problem("3.5", "2.12", null, "2.13.16"))
        .hasValueSatisfying(m -> assertThat(m).contains("runs Spark of another line"));
  }

  /** The Spark the build brings passes the check every session makes, whichever line it is. */
  @Test
  void theBuildsOwnSparkPasses(SparkSession spark) {
    assertThat(spark.version()).startsWith(SparkLine.SPARK + ".");
    assertThat(
            SupportedSpark.problem(
                SparkLine.SPARK,
                SparkLine.SCALA,
                spark.version(),
                scala.util.Properties.versionNumberString()))
        .isEmpty();
  }
}
