package org.cellspark.jobs.medians;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.util.KthSelector;
import org.apache.commons.math3.util.MedianOf3PivotingStrategy;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.spark.InternalRowsRelation;

/**
 * Each gene's median over the cells' {@link NormalizedValues}, as {gene, median bits, cells}
 * triples: exactly (the default), or by Spark's {@code percentile_approx}.
 */
final class PerGeneMedians {
  /**
   * A task's values buffered before they are handed on: 24 MB (a gene number and a value each),
   * twice that with the sort's scratch arrays.
   */
  static final int FLUSH_VALUES = 2 << 20;

  /**
   * Pivots the selector keeps between its two selections: ten levels, as Commons Math's own use.
   */
  private static final int PIVOTS_CACHED = (1 << 10) - 1;

  private PerGeneMedians() {}

  /** percentile_approx per gene: {gene, median bits, cells}. */
  static List<long[]> approximate(
      SparkSession spark, JavaRDD<InternalRow> cells, NormalizedValues values) {
    StructType schema =
        new StructType()
            .add("gene", DataTypes.IntegerType, false)
            .add("value", DataTypes.DoubleType, false);
    List<long[]> out = new ArrayList<>();
    for (Row g :
        InternalRowsRelation.dataFrame(spark, schema, cells.mapPartitions(values.asRows()).rdd())
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
   * Exact medians: each task reads its cells straight into primitive arrays (no object per value),
   * handed on every {@link #FLUSH_VALUES} values (so a task holds a bounded buffer) as one block
   * per group of genes ({@link GeneBlocks}); the blocks travel to one task per group, where each
   * gene's values are gathered and its median selected (quickselect: linear, where a sort is n log
   * n): the middle value, or the mean of the two middle values for an even count, as numpy. A
   * group's values must fit one task's memory: 8 bytes per cell that expresses a gene of it.
   */
  static List<long[]> exact(JavaRDD<InternalRow> cells, NormalizedValues values, int partitions) {
    return cells
        .mapPartitionsToPair(
            it -> new GeneBlocks(it, values.reader()::read, values.genes(), FLUSH_VALUES))
        .groupByKey(Math.max(1, partitions))
        .flatMap(group -> groupMedians(group._1(), group._2()).iterator())
        .collect();
  }

  /**
   * The medians of a group's genes from its blocks: {gene, median bits, cells} of each detected
   * gene.
   */
  static List<long[]> groupMedians(int group, Iterable<GeneBlock> blocks) {
    List<GeneBlock> all = new ArrayList<>();
    blocks.forEach(all::add);
    List<long[]> out = new ArrayList<>();
    for (int j = 0; j < GeneBlock.GENES; j++) {
      int n = 0;
      for (GeneBlock b : all) {
        n += b.count(j);
      }
      if (n == 0) {
        continue;
      }
      double[] gene = new double[n];
      int at = 0;
      for (GeneBlock b : all) {
        at += b.copy(j, gene, at);
      }
      out.add(
          new long[] {
            (long) group * GeneBlock.GENES + j, Double.doubleToLongBits(median(gene)), n
          });
    }
    return out;
  }

  /**
   * The median of a non-empty array, reordering it: the middle value, or for an even count the mean
   * of the two middle values, {@code (a + b) / 2} as numpy computes it. Commons Math's selector
   * (quickselect, median-of-3 pivots); the second selection reuses the first's pivots.
   */
  static double median(double[] values) {
    int n = values.length;
    KthSelector selector = new KthSelector(new MedianOf3PivotingStrategy());
    int[] pivots = new int[PIVOTS_CACHED];
    Arrays.fill(pivots, -1);
    double upper = selector.select(values, pivots, n / 2);
    if (n % 2 == 1) {
      return upper;
    }
    return (selector.select(values, pivots, n / 2 - 1) + upper) / 2;
  }
}
