package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which Java versions a session may start on, by the Hadoop in the JVM (real JVMs: a Java 25
 * refused end to end through the launcher, app module's LauncherJavaIT; and through Main, refused
 * on the Spark 3.5 and 4.0 builds and running on the 4.2 build, app module's NewerJavaIT).
 */
class SupportedJavaTest {
  @Test
  void aHadoopWithoutTheNewerLoginStartsOnJava17To22AndIsRefusedWithTheWayOutFrom23() {
    assertThat(SupportedJava.problem(17, "/jdk17", "3.3.4", false)).isEmpty();
    assertThat(SupportedJava.problem(21, "/jdk21", "3.3.4", false)).isEmpty();
    assertThat(SupportedJava.problem(22, "/jdk22", "3.4.1", false)).isEmpty();
    assertThat(SupportedJava.problem(23, "/jdk23", "3.4.1", false)).isPresent();
    assertThat(SupportedJava.problem(25, "/opt/jdk-25", "3.4.1", false))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith(
                        "This is Java 25 (/opt/jdk-25), and this JVM's Hadoop 3.4.1 cannot log in"
                            + " on Java 23 or later")
                    .contains("Spark " + SparkLine.SPARK + " cannot start")
                    .contains("set JAVA_HOME to a JDK 17")
                    .contains("Only Spark 4.2 (Hadoop 3.5), with Cellspark's build for it"));
  }

  @Test
  void aHadoopWithTheNewerLoginStartsOnEveryJava() {
    assertThat(SupportedJava.problem(23, "/jdk23", "3.5.0", true)).isEmpty();
    assertThat(SupportedJava.problem(25, "/opt/jdk-25", "3.5.0", true)).isEmpty();
  }

  @Test
  void theNewerLoginIsFoundInTheHadoopOfTheSparkLinesThatHaveIt() {
    // Spark 4.2 brings Hadoop 3.5; Spark 3.5 and 4.0 bring 3.3 and 3.4.
    assertThat(SupportedJava.hasNewerLogin())
        .as("Spark %s's Hadoop", SparkLine.SPARK)
        .isEqualTo(SparkLine.SPARK.equals("4.2"));
  }
}
