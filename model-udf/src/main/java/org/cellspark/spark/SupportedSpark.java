package org.cellspark.spark;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cellspark.error.UserException;

/**
 * The Spark a session of Cellspark's runs on: the line this build is for ({@link SparkLine}: Apache
 * Spark 3.5 on Scala 2.12 by default, Spark 4.0 and 4.2 on Scala 2.13 with {@code -Pspark-4.0},
 * {@code -Pspark-4.2}). On another (Scala's collections differ between 2.12 and 2.13, and Spark's
 * internal APIs between lines) the JVM starts, the session too, and the first job fails deep inside
 * with a NoSuchMethodError, which read as "internal error: this is a bug in Cellspark". Checked
 * where every session is made, as Java is, and where every job starts.
 */
public final class SupportedSpark {
  /**
   * Each Spark line Cellspark builds for, the default build first: its Scala, and platforms that
   * run it (none named: any spark-submit of that line).
   */
  private static final List<Build> BUILDS =
      List.of(
          new Build("3.5", "2.12", "EMR 7, Dataproc 2.2"),
          new Build("4.0", "2.13", ""),
          new Build("4.2", "2.13", ""));

  private record Build(String line, String scala, String platforms) {
    /** The Maven profile that builds it (the default build has none). */
    String profile() {
      return line.equals(BUILDS.get(0).line()) ? "" : "spark-" + line;
    }

    String command() {
      return profile().isEmpty()
          ? "mvn -DskipTests package"
          : "mvn -P" + profile() + " -DskipTests package";
    }

    String jar() {
      return profile().isEmpty()
          ? "app/target/cellspark-app-<version>.jar"
          : "app/target/" + profile() + "/cellspark-app-<version>-" + profile() + ".jar";
    }

    /** "4.0 (Scala 2.13: mvn -Pspark-4.0 -DskipTests package)", with its platforms if any. */
    String described() {
      return String.format(
          Locale.ROOT,
          "%s (Scala %s%s: %s)",
          line,
          scala,
          platforms.isEmpty() ? "" : "; " + platforms,
          command());
    }
  }

  private SupportedSpark() {}

  /**
   * What is wrong with running a build for Spark {@code line} on Scala {@code lineScala} on Spark
   * {@code spark} (null: one too different to say) with Scala {@code scala}, if anything.
   */
  static Optional<String> problem(String line, String lineScala, String spark, String scala) {
    if (fits(spark, line) && fits(scala, lineScala)) {
      return Optional.empty();
    }
    String mismatch =
        String.format(
            Locale.ROOT,
            "This Cellspark is built for Apache Spark %s with Scala %s, and this JVM runs Spark %s"
                + " with Scala %s.",
            line,
            lineScala,
            spark == null ? "of another line" : spark,
            scala == null ? "unknown" : scala);
    for (Build other : BUILDS) {
      if (!other.line().equals(line) && fits(spark, other.line()) && fits(scala, other.scala())) {
        return Optional.of(
            String.format(
                Locale.ROOT,
                "%s Use Cellspark's build for Spark %s: the application jar %s, made by %s.",
                mismatch,
                other.line(),
                other.jar(),
                other.command()));
      }
    }
    List<String> lines = BUILDS.stream().map(Build::described).toList();
    return Optional.of(
        String.format(
            Locale.ROOT,
            "%s Cellspark builds for Spark %s and %s; run it on one of those, or on the Spark it"
                + " bundles: bin/cellspark.",
            mismatch,
            String.join(", ", lines.subList(0, lines.size() - 1)),
            lines.get(lines.size() - 1)));
  }

  private static boolean fits(String version, String line) {
    return version != null && (version.equals(line) || version.startsWith(line + "."));
  }

  /**
   * Refuses (exit code 2) to run on a Spark Cellspark is not built for: where a session is made,
   * and where a job starts on one made elsewhere (a notebook's).
   */
  public static void require() {
    problem(SparkLine.SPARK, SparkLine.SCALA, sparkVersion(), scalaVersion())
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
