package org.cellspark.spark;

import java.util.Optional;
import org.cellspark.error.UserException;

/**
 * The Java versions a Spark session of Cellspark's can start on. Spark 3.5 runs on Java 17 (what
 * Cellspark is built for and tested on) and the versions after it up to 22; from Java 23 on, Hadoop
 * 3.3's login (every session's first step, through {@code Subject.getSubject}) fails with
 * "getSubject is not supported", which would otherwise surface as an internal error with a trace.
 */
public final class SupportedJava {
  /** The first Java version Spark 3.5's Hadoop cannot log in on. */
  static final int FIRST_UNSUPPORTED = 23;

  private SupportedJava() {}

  /** What is wrong with running on Java {@code feature}, if anything. */
  static Optional<String> problem(int feature, String javaHome) {
    if (feature < FIRST_UNSUPPORTED) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            java.util.Locale.ROOT,
            "This is Java %d (%s); Spark 3.5 cannot start on Java %d or later (Hadoop's login"
                + " calls Subject.getSubject, which they no longer support). Run Cellspark with"
                + " Java 17: for bin/cellspark, set JAVA_HOME to a JDK 17.",
            feature,
            javaHome,
            FIRST_UNSUPPORTED));
  }

  /** Refuses (exit code 2) to start a session on a Java version Spark cannot start on. */
  static void require() {
    problem(Runtime.version().feature(), System.getProperty("java.home"))
        .ifPresent(
            message -> {
              throw new UserException(message);
            });
  }
}
