package org.cellspark.jobs.stats;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A statistics table in its final row order, and what the summary should say about how it was made
 * (pool sizes, the mixture's parameters). {@code small}: one row per gene, built on the driver
 * (written as one file); otherwise sized like the screen (written by partition, in order).
 */
record StatsTable(Dataset<Row> rows, boolean small, Map<String, Object> details) {

  /** A small per-gene table computed on the driver, sorted there. */
  static Dataset<Row> local(
      SparkSession spark, StructType schema, List<Object[]> rows, Comparator<Object[]> order) {
    rows.sort(order);
    return spark.createDataFrame(rows.stream().map(RowFactory::create).toList(), schema);
  }

  /** Descending on a double column, NaN last (as pandas sorts). */
  static Comparator<Object[]> desc(int i) {
    return (a, b) -> nanLast((Double) a[i], (Double) b[i], true);
  }

  /** Ascending on a double column, NaN last. */
  static Comparator<Object[]> asc(int i) {
    return (a, b) -> nanLast((Double) a[i], (Double) b[i], false);
  }

  static Comparator<Object[]> descInt(int i) {
    return (a, b) -> Integer.compare((Integer) b[i], (Integer) a[i]);
  }

  static Comparator<Object[]> byString(int i) {
    return Comparator.comparing(
        (Object[] r) -> (String) r[i], Comparator.nullsLast(Comparator.<String>naturalOrder()));
  }

  private static int nanLast(double a, double b, boolean descending) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Boolean.compare(Double.isNaN(a), Double.isNaN(b));
    }
    return descending ? Double.compare(b, a) : Double.compare(a, b);
  }
}
