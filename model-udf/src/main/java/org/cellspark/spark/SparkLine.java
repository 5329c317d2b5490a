package org.cellspark.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Spark line this build of Cellspark is for: Apache Spark 3.5 on Scala 2.12 by default, or the
 * line of a Spark 4 profile ({@code -Pspark-4.0} or {@code -Pspark-4.2}; Scala 2.13). Maven writes
 * it into the jar from the build's own properties, so it is the Spark the classes were compiled and
 * tested against.
 */
public final class SparkLine {
  private static final Properties BUILD = read();

  /** The Spark line this build is for ("3.5", "4.0", "4.2"). */
  public static final String SPARK = BUILD.getProperty("spark");

  /** The Scala binary version of that line's Spark. */
  public static final String SCALA = BUILD.getProperty("scala");

  private SparkLine() {}

  private static Properties read() {
    Properties p = new Properties();
    try (InputStream in = SparkLine.class.getResourceAsStream("spark-line.properties")) {
      if (in == null) {
        throw new IllegalStateException("spark-line.properties is missing from Cellspark's jar");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
