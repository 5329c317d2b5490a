package org.cellspark.spark;

import java.util.Locale;
import java.util.Optional;
import org.cellspark.error.UserException;

/**
 * The Java versions a Spark session of Cellspark's can start on, decided by the Hadoop in the JVM.
 * Every session's first step is Hadoop's login, and up to Hadoop 3.4 that login calls {@code
 * Subject.getSubject}, which Java 23 and later no longer support ("getSubject is not supported",
 * which would otherwise surface as an internal error with a trace). Hadoop 3.5 logs in through its
 * {@code SubjectUtil} instead and starts on them: Spark 4.2's Hadoop, with which Cellspark's build
 * for Spark 4.2 runs on Java 25. Spark 3.5's (Hadoop 3.3) and 4.0's (3.4) do not. The class is
 * looked for rather than a version compared, so a Hadoop with the change backported counts too.
 */
public final class SupportedJava {
  /** The first Java version on which a Hadoop without the newer login cannot log in. */
  static final int FIRST_UNSUPPORTED = 23;

  /** Hadoop's login helper for Java 23 and later, in Hadoop 3.5 onwards. */
  static final String NEWER_LOGIN = "org.apache.hadoop.security.authentication.util.SubjectUtil";

  private SupportedJava() {}

  /**
   * What is wrong with running on Java {@code feature}, if anything, with a Hadoop of version
   * {@code hadoopVersion} that has ({@code newerLogin}) or lacks the newer login.
   */
  static Optional<String> problem(
      int feature, String javaHome, String hadoopVersion, boolean newerLogin) {
    if (feature < FIRST_UNSUPPORTED || newerLogin) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "This is Java %d (%s), and this JVM's Hadoop %s cannot log in on Java %d or later"
                + " (its login calls Subject.getSubject, which they no longer support), so Spark"
                + " %s cannot start. Run Cellspark with Java 17 or 21: for bin/cellspark, set"
                + " JAVA_HOME to a JDK 17. Only Spark 4.2 (Hadoop 3.5), with Cellspark's build for"
                + " it, runs on Java 25.",
            feature,
            javaHome,
            hadoopVersion,
            FIRST_UNSUPPORTED,
            SparkLine.SPARK));
  }

  /**
   * Refuses (exit code 2) to start a session on a Java version this JVM's Spark cannot start on.
   */
  static void require() {
    int feature = Runtime.version().feature();
    if (feature < FIRST_UNSUPPORTED) {
      return; // no Hadoop class loaded for the common case
    }
    problem(
            feature,
            System.getProperty("java.home"),
            org.apache.hadoop.util.VersionInfo.getVersion(),
            hasNewerLogin())
        .ifPresent(
            message -> {
              throw new UserException(message);
            });
  }

  /** Whether this JVM's Hadoop has the newer login (its class is on the class path). */
  static boolean hasNewerLogin() {
    try {
      Class.forName(NEWER_LOGIN, false, SupportedJava.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
