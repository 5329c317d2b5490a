package org.cellspark.spark;

import java.util.Locale;
import java.util.Optional;
import org.cellspark.error.UserException;

/**
 * The Spark a session of Cellspark's runs on: the one it is built for, Apache Spark 3.5 on Scala
 * 2.12. On another (a Spark 4 cluster: Scala 2.13, changed internal APIs) the JVM starts, the
 * session too, and the first job fails deep inside with a NoSuchMethodError, which read as
 * "internal error: this is a bug in Cellspark". Checked where every session is made, as Java is,
 * and where every job starts.
 */
public final class SupportedSpark {
  /** The Spark line Cellspark is built and tested for. */
  static final String LINE = "3.5";

  static final String SCALA = "2.12";

  private SupportedSpark() {}

  /**
   * What is wrong with running on Spark {@code spark} (null: one too different to say) with Scala
   * {@code scala}, if anything.
   */
  static Optional<String> problem(String spark, String scala) {
    boolean sparkFits = spark != null && (spark.equals(LINE) || spark.startsWith(LINE + "."));
    boolean scalaFits = scala != null && (scala.equals(SCALA) || scala.startsWith(SCALA + "."));
    if (sparkFits && scalaFits) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "This Cellspark is built for Apache Spark %s with Scala %s, and this JVM runs Spark %s"
                + " with Scala %s. Run it on a Spark %s cluster (EMR 7, Dataproc 2.2, or any"
                + " spark-submit of Spark %s), or on the Spark it bundles: bin/cellspark.",
            LINE,
            SCALA,
            spark == null ? "of another line" : spark,
            scala == null ? "unknown" : scala,
            LINE,
            LINE));
  }

  /**
   * Refuses (exit code 2) to run on a Spark Cellspark is not built for: where a session is made,
   * and where a job starts on one made elsewhere (a notebook's).
   */
  public static void require() {
    problem(sparkVersion(), scalaVersion())
        .ifPresent(
            message -> {
              throw new UserException(message);
            });
  }

  private static String sparkVersion() {
    try {
      return org.apache.spark.package$.MODULE$.SPARK_VERSION();
    } catch (LinkageError e) {
      return null; // a Spark whose version is not where 3.5 keeps it
    }
  }

  private static String scalaVersion() {
    try {
      return scala.util.Properties$.MODULE$.versionNumberString();
    } catch (LinkageError e) {
      return null;
    }
  }
}
