package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A screen's values gathered per perturbed gene (or group) by Spark: one row per gene with Gene,
 * Gene_name, Ensembl_ID, one array of values per requested column (NaN dropped), and n (the number
 * of perturbed cells). A gene's values travel together to one executor, where its test runs; only
 * the per-gene results come back to the driver.
 */
final class GeneValues {
  static final int FIRST_VALUES = 3;

  private GeneValues() {}

  static Dataset<Row> of(Dataset<Row> keyedCells, List<String> valueColumns) {
    List<Column> aggs = new ArrayList<>();
    aggs.add(first(Screen.GENE_NAME, true).as(Screen.GENE_NAME));
    aggs.add(first(Screen.ENSEMBL_ID, true).as(Screen.ENSEMBL_ID));
    for (int i = 0; i < valueColumns.size(); i++) {
      Column v = col(valueColumns.get(i));
      // collect_list skips nulls; NaN (a cosine of a zero vector) is dropped like SciPy's
      // nan_policy="omit".
      aggs.add(
          collect_list(org.apache.spark.sql.functions.when(v.isNaN().unary_$bang(), v))
              .as("_v" + i));
    }
    aggs.add(count(org.apache.spark.sql.functions.lit(1)).as("_n"));
    return keyedCells
        .groupBy(col(Screen.GENE))
        .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
  }

  /** The i-th value array of a row of {@link #of}. */
  static double[] values(Row r, int i) {
    List<Double> l = r.getList(FIRST_VALUES + i);
    double[] out = new double[l.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = l.get(k);
    }
    return out;
  }

  static long n(Row r) {
    return r.getLong(r.length() - 1);
  }

  static double mean(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }
}
