package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which Java versions a session may start on (a real Java 25 refused end to end, through the
 * launcher and through Main: app module's LauncherJavaIT).
 */
class SupportedJavaTest {
  @Test
  void java17To22StartAndJava23OnIsRefusedWithTheWayOut() {
    assertThat(SupportedJava.problem(17, "/jdk17")).isEmpty();
    assertThat(SupportedJava.problem(21, "/jdk21")).isEmpty();
    assertThat(SupportedJava.problem(22, "/jdk22")).isEmpty();
    assertThat(SupportedJava.problem(23, "/jdk23")).isPresent();
    assertThat(SupportedJava.problem(25, "/opt/jdk-25"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("This is Java 25 (/opt/jdk-25); Spark 3.5 cannot start on Java 23")
                    .contains("set JAVA_HOME to a JDK 17"));
  }
}
