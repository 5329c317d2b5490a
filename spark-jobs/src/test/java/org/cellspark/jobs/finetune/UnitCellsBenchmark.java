package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.sum;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.bench.HfDatasetBenchmark;
import org.cellspark.bench.Rounds;
import org.cellspark.jobs.classify.LabelSplits;
import org.cellspark.spark.SparkSessionFactory;

/**
 * What finetune does before training starts, by how its cells reach the training tasks
 * (bench/finetune/README.md, "Cells to the training tasks"): one task (a plain fine-tune), one task
 * per unit (--folds K: every cell to each of K tasks, with its part in that fold; and the same with
 * --stratify label, its folds cut by rank within each class), against reading the same token table
 * once (every token summed, as a model job reads it). One run, rounds alternating, the first left
 * out; each task packs its cells as the training task does ({@link TaskCells}) and reports how many
 * it got. Args: CELLS FOLDS WORK_DIR THREADS ROUNDS.
 */
public final class UnitCellsBenchmark {
  private UnitCellsBenchmark() {}

  /** Packs its rows as TrainingTask does and counts them. */
  static final class Counting implements FlatMapFunction<Iterator<Row>, UnitCount> {
    private static final long serialVersionUID = 1L;
    private final int trials;

    Counting(int trials) {
      this.trials = trials;
    }

    @Override
    public Iterator<UnitCount> call(Iterator<Row> rows) {
      TaskCells packed = new TaskCells();
      int[] unit = {-1};
      long[] tokens = {0};
      rows.forEachRemaining(
          r -> {
            unit[0] = r.getInt(r.length() - 1);
            List<Integer> ids = r.getList(1);
            tokens[0] += ids.size();
            packed.add(r.getString(0), ids, r.getString(3).length());
          });
      if (unit[0] < 0) {
        return java.util.Collections.emptyIterator();
      }
      return List.of(
              new UnitCount(
                  unit[0] / trials, unit[0] % trials, packed.inIdOrder().size(), tokens[0]))
          .iterator();
    }
  }

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int k = Integer.parseInt(args[1]);
    Path work = Paths.get(args[2]).toAbsolutePath();
    int threads = Integer.parseInt(args[3]);
    int rounds = Integer.parseInt(args[4]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "unit-cells-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Path table = work.resolve("tokens.parquet");
    if (!Files.exists(table)) {
      HfDatasetBenchmark.writeTokenTable(spark, n, 2048, table);
    }
    String[] names = {
      "read every token (baseline)",
      "cells to one task (finetune)",
      "cells to " + k + " folds",
      "cells to " + k + " stratified folds"
    };
    List<List<Double>> rates =
        List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    long[][] reached = new long[4][];
    for (int round = 0; round <= rounds; round++) {
      for (int side = 0; side < 4; side++) {
        long start = System.nanoTime();
        reached[side] = run(spark, table, side, k);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round > 0) {
          rates.get(side).add(n / seconds);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "unit-cells benchmark: %,d cells of 256-2,048 tokens, %d folds, local[%d], %d rounds%n",
        n,
        k,
        threads,
        rounds);
    double base = Rounds.median(rates.get(0));
    for (int side = 0; side < 4; side++) {
      double rate = Rounds.median(rates.get(side));
      System.out.printf(
          Locale.ROOT,
          "  %-30s %,9.0f cells/s  ratio to reading %.2f%s%n",
          names[side],
          rate,
          rate / base,
          side == 0
              ? ""
              : String.format(
                  Locale.ROOT,
                  "  tasks %d, cells a task %,d, tokens a task %,d",
                  reached[side][0],
                  reached[side][1],
                  reached[side][2]));
    }
    spark.stop();
  }

  /**
   * Side 0: every token summed; 1: one task; 2: a task per fold; 3: the same, folds stratified by
   * the label. Tasks, cells, tokens a task.
   */
  private static long[] run(SparkSession spark, Path table, int side, int k) {
    Dataset<Row> cells = spark.read().parquet(table.toString());
    if (side == 0) {
      long total =
          cells.agg(sum(expr("aggregate(input_ids, 0L, (a, x) -> a + x)"))).first().getLong(0);
      return new long[] {0, 0, total};
    }
    List<UnitCount> counts;
    if (side == 1) {
      Dataset<Row> rows =
          cells
              .withColumn("_label", col("label"))
              .withColumn("_split", expr("'train'"))
              .select(col("cell_id"), col("input_ids"), col("_label"), col("_split"));
      counts = Trials.run(spark, rows, 1, new Counting(1));
    } else {
      Dataset<Row> folded =
          LabelSplits.withFolds(
              spark,
              cells.withColumn("_label", col("label")),
              new LabelSplits.Settings(
                  "label",
                  null,
                  "bench",
                  new double[] {0.8, 0.1, 0.1},
                  42,
                  0,
                  0,
                  null,
                  null,
                  side == 3 ? "label" : null),
              k,
              new java.util.LinkedHashMap<>(),
              null);
      counts = CrossValidation.runUnits(spark, folded, k, 1, new Counting(1));
    }
    return new long[] {counts.size(), counts.get(0).rows(), counts.get(0).tokens()};
  }
}
