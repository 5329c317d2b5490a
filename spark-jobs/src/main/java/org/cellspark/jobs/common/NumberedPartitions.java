package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.element_at;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.unsafe.hash.Murmur3_x86_32;

/**
 * Rows dealt to numbered partitions: the row whose number is {@code k} into partition {@code k} of
 * {@code n}, one task each (a training unit, a data-parallel worker). The rows stay in Spark's own
 * format through the shuffle (a Dataset repartition): as Java objects through an RDD partitioner
 * they moved ten times slower (bench/finetune/README.md, "Cells to the training tasks"). Spark's
 * hash partitioning sends key {@code k} to partition {@code pmod(murmur3(k), n)}, so each number is
 * given a key that lands in its own partition ({@link #keys}).
 */
public final class NumberedPartitions {
  private static final String KEY = "_partition_key";

  private NumberedPartitions() {}

  /** {@code rows} in {@code n} partitions, a row's by its {@code number} (0 to n - 1). */
  public static Dataset<Row> deal(Dataset<Row> rows, Column number, int n) {
    Column[] keys = Arrays.stream(keys(n)).mapToObj(functions::lit).toArray(Column[]::new);
    return rows.withColumn(KEY, element_at(array(keys), number.plus(1)))
        .repartition(n, functions.col(KEY))
        .drop(KEY);
  }

  /**
   * For each partition p, an integer whose Spark hash partition among {@code n} partitions is p
   * (the smallest such, searched upwards from 0): Spark's HashPartitioning takes
   * pmod(Murmur3_x86_32.hashInt(k, 42), n) for an int column k.
   */
  static int[] keys(int n) {
    int[] keys = new int[n];
    Arrays.fill(keys, -1);
    int found = 0;
    for (int k = 0; found < n; k++) {
      int p = Math.floorMod(Murmur3_x86_32.hashInt(k, 42), n);
      if (keys[p] < 0) {
        keys[p] = k;
        found++;
      }
    }
    return keys;
  }
}
