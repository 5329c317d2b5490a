package org.cellspark.io;

import java.io.IOException;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.Causes;
import org.cellspark.error.UserException;

/**
 * Opens a Parquet table a user named. Spark reads footers while it infers the schema, so a folder
 * that is not Parquet fails here as one of Spark's own errors (a {@code SparkException} or {@code
 * AnalysisException}: checked exceptions that Java code does not see declared, so a {@code catch
 * (RuntimeException)} let them through as if they were bugs). Those, and I/O failures underneath,
 * become the caller's refusal; anything else is a bug and passes. A folder or file of that name is
 * read even if the name holds glob characters (tokens[1]); otherwise the name is Spark's pattern.
 */
public final class ParquetTables {
  private ParquetTables() {}

  /**
   * What to say about a table that cannot be read: the message gets what went wrong, in one line.
   */
  @FunctionalInterface
  public interface Refusal {
    UserException of(Exception cause, String why);
  }

  public static Dataset<Row> read(SparkSession spark, String uri, Refusal refusal) {
    try {
      return spark.read().parquet(PathGlobs.input(uri, spark.sparkContext().hadoopConfiguration()));
    } catch (
        Exception
            e) { // the checked SparkException / AnalysisException, which Java does not see declared
      if (e instanceof SparkThrowable || Causes.first(e, c -> c instanceof IOException) != null) {
        throw refusal.of(e, why(e));
      }
      throw e;
    }
  }

  /**
   * The innermost message, which names the file and says what is wrong, without Spark's stage and
   * task wrapping.
   */
  static String why(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message =
        root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    int line = message.indexOf('\n');
    return (line < 0 ? message : message.substring(0, line)).trim();
  }
}
