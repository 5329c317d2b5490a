package org.cellspark.jobs.genes;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.sum;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.bench.HfDatasetBenchmark;
import org.cellspark.bench.Rounds;
import org.cellspark.spark.SparkSessionFactory;

/**
 * How much finding and sampling each fold's cells costs a gene classifier before training
 * (bench/finetune/README.md, "Cells to the folds"), against reading the same token table once
 * (every token summed, as a model job reads it), in one run with rounds alternating (the first left
 * out). Also what reaches the fold tasks: cells and tokens per task, with and without --max-cells.
 * The table: CELLS synthetic cells of 256 to 2,048 distinct V1 tokens (bench/hf-dataset's); the
 * classes: 100 + 100 random genes. With TRIALS above 1, every fold's cells go to each of a
 * --search's trials, a task each (TRIALS copies through the shuffle). Args: CELLS FOLDS MAX_CELLS
 * WORK_DIR THREADS ROUNDS [TRIALS].
 */
public final class FoldCellsBenchmark {
  private FoldCellsBenchmark() {}

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int k = Integer.parseInt(args[1]);
    long maxCells = Long.parseLong(args[2]);
    Path work = Paths.get(args[3]).toAbsolutePath();
    int threads = Integer.parseInt(args[4]);
    int rounds = Integer.parseInt(args[5]);
    int trials = args.length > 6 ? Integer.parseInt(args[6]) : 1;
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "fold-cells-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Path table = work.resolve("tokens.parquet");
    if (!Files.exists(table)) {
      HfDatasetBenchmark.writeTokenTable(spark, n, 2048, table);
    }
    Random r = new Random(7);
    int[] a = new int[100];
    int[] b = new int[100];
    for (int i = 0; i < 100; i++) {
      a[i] = 4 + r.nextInt(25_422);
      b[i] = 4 + r.nextInt(25_422);
    }
    GeneFolds folds =
        GeneFolds.deal(
            new GeneClasses(
                List.of("a", "b"),
                List.of(
                    Arrays.stream(a).distinct().toArray(), Arrays.stream(b).distinct().toArray()),
                List.of()),
            k,
            42,
            "bench");
    String[] names = {
      "read every token (baseline)", "cells to folds, all", "cells to folds, sampled"
    };
    List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    long[][] reached = new long[3][];
    for (int round = 0; round <= rounds; round++) {
      for (int side = 0; side < 3; side++) {
        long start = System.nanoTime();
        reached[side] =
            run(spark, table, folds, k, trials, side == 0 ? -1 : side == 1 ? 0 : maxCells);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round > 0) {
          rates.get(side).add(n / seconds);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "fold-cells benchmark: %,d cells of 256-2,048 tokens, %d genes in 2 classes, %d folds,"
            + " --max-cells %,d, %d trial(s) a fold, local[%d], %d rounds%n",
        n,
        folds.size(),
        k,
        maxCells,
        trials,
        threads,
        rounds);
    double base = Rounds.median(rates.get(0));
    for (int side = 0; side < 3; side++) {
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
                  "  reaching one task: at most %,d cells, %,d tokens",
                  reached[side][0],
                  reached[side][1]));
    }
    spark.stop();
  }

  /**
   * Side -1: every token summed. Else every fold's cells by part (sampled to maxCells, 0: all),
   * through the shuffle to the fold tasks; returns the most distinct cells and tokens a task got.
   */
  private static long[] run(
      SparkSession spark, Path table, GeneFolds folds, int k, int trials, long maxCells) {
    Dataset<Row> cells = spark.read().parquet(table.toString());
    if (maxCells < 0) {
      long total =
          cells.agg(sum(expr("aggregate(input_ids, 0L, (a, x) -> a + x)"))).first().getLong(0);
      return new long[] {0, total};
    }
    List<long[]> perTask =
        FoldCells.of(
                spark,
                cells.select(col("cell_id"), col("input_ids")),
                folds,
                k,
                trials,
                25_426,
                maxCells,
                42)
            .mapPartitions(
                rows -> {
                  java.util.Map<String, Integer> distinct = new java.util.HashMap<>();
                  rows.forEachRemaining(t -> distinct.put(t._2().cellId(), t._2().tokens().length));
                  long tokens = distinct.values().stream().mapToLong(Integer::longValue).sum();
                  return List.of(new long[] {distinct.size(), tokens}).iterator();
                })
            .collect();
    long most = 0;
    long tokens = 0;
    for (long[] t : perTask) {
      if (t[0] > most) {
        most = t[0];
        tokens = t[1];
      }
    }
    return new long[] {most, tokens};
  }
}
