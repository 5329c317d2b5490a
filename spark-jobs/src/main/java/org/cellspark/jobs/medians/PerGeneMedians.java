package org.cellspark.jobs.medians;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.spark.InternalRowsRelation;
import scala.Tuple2;

/**
 * Each gene's median over the (gene, value) rows of {@link NormalizedValues}, as {gene, median
 * bits, cells} triples: exactly (the default), or by Spark's {@code percentile_approx}.
 */
final class PerGeneMedians {
  private PerGeneMedians() {}

  /** percentile_approx per gene: {gene, median bits, cells}. */
  static List<long[]> approximate(SparkSession spark, JavaRDD<InternalRow> values) {
    StructType schema =
        new StructType()
            .add("gene", DataTypes.IntegerType, false)
            .add("value", DataTypes.DoubleType, false);
    List<long[]> out = new ArrayList<>();
    for (Row g :
        InternalRowsRelation.dataFrame(spark, schema, values.rdd())
            .groupBy("gene")
            .agg(
                percentile_approx(col("value"), lit(0.5), lit(MediansOptions.APPROX_ACCURACY)),
                count(lit(1)))
            .collectAsList()) {
      out.add(new long[] {g.getInt(0), Double.doubleToLongBits(g.getDouble(1)), g.getLong(2)});
    }
    return out;
  }

  /**
   * Exact medians: each task packs its values into one primitive array per gene (flushed every
   * {@link GeneChunks#FLUSH_VALUES} values, so a task holds a bounded buffer), the arrays travel to
   * one task per gene, are concatenated and sorted, and the median is the middle value (the mean of
   * the two middle values for an even count, as numpy). A gene's values must fit one task's memory:
   * 8 bytes per cell that expresses it (80 MB for 10 million cells).
   */
  static List<long[]> exact(JavaRDD<InternalRow> values, int genes, int partitions) {
    return values
        .mapPartitionsToPair(it -> new GeneChunks(it, genes))
        .groupByKey(Math.max(1, partitions))
        .map(
            g -> {
              int n = 0;
              for (double[] c : g._2()) {
                n += c.length;
              }
              double[] all = new double[n];
              int at = 0;
              for (double[] c : g._2()) {
                System.arraycopy(c, 0, all, at, c.length);
                at += c.length;
              }
              Arrays.sort(all);
              double median = n % 2 == 1 ? all[n / 2] : (all[n / 2 - 1] + all[n / 2]) / 2;
              return new long[] {g._1(), Double.doubleToLongBits(median), n};
            })
        .collect();
  }

  /**
   * A task's (gene, value) stream as (gene, values) chunks, one buffer per gene, flushed when full.
   */
  private static final class GeneChunks implements Iterator<Tuple2<Integer, double[]>> {
    static final int FLUSH_VALUES = 4 << 20;
    private final Iterator<InternalRow> in;
    private final double[][] buffers;
    private final int[] lengths;
    private final int[] used; // genes with a non-empty buffer
    private int usedCount;
    private final ArrayDeque<Tuple2<Integer, double[]>> ready = new ArrayDeque<>();
    private long buffered;

    GeneChunks(Iterator<InternalRow> in, int genes) {
      this.in = in;
      this.buffers = new double[genes][];
      this.lengths = new int[genes];
      this.used = new int[genes];
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && in.hasNext()) {
        InternalRow r = in.next();
        int g = r.getInt(0);
        int len = lengths[g];
        if (len == 0) {
          used[usedCount++] = g;
        }
        if (buffers[g] == null || len == buffers[g].length) {
          buffers[g] =
              buffers[g] == null
                  ? new double[16]
                  : Arrays.copyOf(buffers[g], buffers[g].length * 2);
        }
        buffers[g][len] = r.getDouble(1);
        lengths[g] = len + 1;
        if (++buffered >= FLUSH_VALUES) {
          flush();
        }
      }
      if (ready.isEmpty() && usedCount > 0) {
        flush();
      }
      return !ready.isEmpty();
    }

    private void flush() {
      for (int k = 0; k < usedCount; k++) {
        int g = used[k];
        ready.add(new Tuple2<>(g, Arrays.copyOf(buffers[g], lengths[g])));
        lengths[g] = 0; // the buffer is kept for the next values
      }
      usedCount = 0;
      buffered = 0;
    }

    @Override
    public Tuple2<Integer, double[]> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }
  }
}
