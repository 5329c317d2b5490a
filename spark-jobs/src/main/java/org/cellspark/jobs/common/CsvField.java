package org.cellspark.jobs.common;

/** One field of the CSV files jobs write beside their Parquet (RFC 4180 quoting). */
public final class CsvField {
  private CsvField() {}

  /**
   * {@code s} as a CSV field: quoted, inner quotes doubled, when it holds a comma, a quote or a
   * line break.
   */
  public static String of(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
        ? "\"" + s.replace("\"", "\"\"") + "\""
        : s;
  }
}
