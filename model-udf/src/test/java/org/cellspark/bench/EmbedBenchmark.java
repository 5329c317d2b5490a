package org.cellspark.bench;

import ai.djl.Device;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.Precision;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.spark.SparkSessionFactory;

/**
 * The embed benchmark (bench/embed/README.md): the engine's cells/s on CPU for a V1-sized model
 * against PyTorch eager on the same weights and cells (run in the same benchmark, before ours),
 * with length-grouped and arrival-order batching, and the SQL functions row by row vs batched.
 *
 * <p>Cellspark runs as Spark does: one worker thread per core, libtorch single-threaded per call
 * (bench/embed/run.sh sets ai.djl.pytorch.num_threads=1); PyTorch eager gets the same cores as
 * intra-op threads, as upstream runs.
 *
 * <p>Then the two engines a Hugging Face folder can run with, on cells of fixed lengths: the fused
 * TorchScript program (the default) and the native DJL forward, each on the same cells in the same
 * run.
 *
 * <p>Args: WORK_DIR THREADS [SQL_CELLS] [sql-only|engines-only]
 */
public final class EmbedBenchmark {
  private EmbedBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int sqlCells = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    List<int[]> cells = new ArrayList<>();
    for (String line : Files.readAllLines(work.resolve("cells.txt"))) {
      cells.add(Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    double meanLength = cells.stream().mapToInt(c -> c.length).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "embed benchmark: %d cells (mean %.0f tokens), V1-sized random model, %d threads%n",
        cells.size(),
        meanLength,
        threads);

    if (args.length > 3 && args[3].equals("sql-only")) {
      sql(work, cells.subList(0, Math.min(sqlCells, cells.size())), threads);
      return;
    }
    if (args.length > 3 && args[3].equals("engines-only")) {
      engines(work, cells, threads);
      return;
    }
    String pytorch = pytorchBaseline(threads);
    double pytorchRate =
        pytorch == null ? Double.NaN : Double.parseDouble(field(pytorch, "cells_per_s"));

    EmbeddingSettings settings =
        new EmbeddingSettings(-1, Pooling.MEAN, BatchBudget.AUTO, 0, -1, -1);
    double[] grouped;
    double[] arrival;
    try (Encoder encoder = ModelLoader.load(work.resolve("model"), Device.cpu())) {
      try (CellEmbedder warm = new CellEmbedder(encoder, Device.cpu(), settings)) {
        warm.embed(cells.subList(0, 2));
      }
      grouped = run(encoder, settings, cells, threads, true);
      arrival = run(encoder, settings, cells, threads, false);
    }
    double groupedPadding = grouped[1];
    double arrivalPadding = arrival[1];
    System.out.printf(
        Locale.ROOT,
        "  PyTorch eager, upstream-style batches:  %8.3f cells/s  (%s)%n",
        pytorchRate,
        pytorch == null ? "not run: no /usr/bin/python3 with torch" : pytorch);
    System.out.printf(
        Locale.ROOT,
        "  Cellspark, length-grouped batches:      %8.3f cells/s, padding %.1f%%%n",
        grouped[0],
        100 * groupedPadding);
    System.out.printf(
        Locale.ROOT,
        "  Cellspark, arrival-order batches:       %8.3f cells/s, padding %.1f%%%n",
        arrival[0],
        100 * arrivalPadding);
    System.out.printf(
        Locale.ROOT,
        "  ratio Cellspark (grouped) / PyTorch:    %8.2f  (target >= 0.90)%n",
        grouped[0] / pytorchRate);
    sql(work, cells.subList(0, Math.min(sqlCells, cells.size())), threads);
    engines(work, cells, threads);
  }

  /**
   * Fused program vs native DJL forward, cells/s at fixed lengths (every cell cut or repeated to
   * the length), the same cells for both, alternating which runs first per length; and the fused
   * program in bf16 (which CPUs with bf16 instructions multiply faster than fp32).
   */
  private static void engines(Path work, List<int[]> cells, int threads) throws Exception {
    EmbeddingSettings settings =
        new EmbeddingSettings(-1, Pooling.MEAN, BatchBudget.AUTO, 0, -1, -1);
    System.out.println(
        "  engines (fused TorchScript program, with libtorch's graph optimiser off (the default)"
            + " and on, vs native DJL operations), fp32, length-grouped batches; and the fused"
            + " program in bf16:");
    System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
    Encoder fused =
        ModelLoader.load(
            work.resolve("model"), Device.cpu(), Precision.FP32, ModelLoader.Engine.FUSED);
    System.setProperty("ai.djl.pytorch.graph_optimizer", "true");
    Encoder optimised =
        ModelLoader.load(
            work.resolve("model"), Device.cpu(), Precision.FP32, ModelLoader.Engine.FUSED);
    System.clearProperty("ai.djl.pytorch.graph_optimizer");
    try (fused;
        optimised;
        Encoder bf16 =
            ModelLoader.load(
                work.resolve("model"), Device.cpu(), Precision.BF16, ModelLoader.Engine.FUSED);
        Encoder nat =
            ModelLoader.load(
                work.resolve("model"), Device.cpu(), Precision.FP32, ModelLoader.Engine.NATIVE)) {
      for (Encoder e : List.of(fused, optimised, bf16, nat)) {
        try (CellEmbedder warm = new CellEmbedder(e, Device.cpu(), settings)) {
          warm.embed(fixedLength(cells.subList(0, 2), 256));
        }
      }
      int[][] plan = {{256, 160}, {512, 96}, {1024, 48}, {2048, 24}};
      for (int i = 0; i < plan.length; i++) {
        List<int[]> same =
            fixedLength(cells.subList(0, Math.min(plan[i][1], cells.size())), plan[i][0]);
        double f;
        double o;
        double b;
        double n;
        if (i % 2 == 0) {
          f = run(fused, settings, same, threads, true)[0];
          o = run(optimised, settings, same, threads, true)[0];
          b = run(bf16, settings, same, threads, true)[0];
          n = run(nat, settings, same, threads, true)[0];
        } else {
          n = run(nat, settings, same, threads, true)[0];
          b = run(bf16, settings, same, threads, true)[0];
          o = run(optimised, settings, same, threads, true)[0];
          f = run(fused, settings, same, threads, true)[0];
        }
        System.out.printf(
            Locale.ROOT,
            "    %5d tokens, %3d cells: fused %8.3f cells/s (optimiser on %8.3f), native %8.3f"
                + " cells/s, ratio fused/native %5.2f (optimiser on %5.2f); fused bf16 %8.3f"
                + " cells/s, %5.2f x fused fp32%n",
            plan[i][0],
            same.size(),
            f,
            o,
            n,
            f / n,
            o / n,
            b,
            b / f);
      }
    }
  }

  /** Each cell cut to {@code length} tokens, or repeated up to it. */
  private static List<int[]> fixedLength(List<int[]> cells, int length) {
    List<int[]> out = new ArrayList<>();
    for (int[] c : cells) {
      int[] x = new int[length];
      for (int j = 0; j < length; j++) {
        x[j] = c[j % c.length];
      }
      out.add(x);
    }
    return out;
  }

  /**
   * Embeds the cells as Spark would: {@code workers} threads (tasks), each with its own embedder
   * over a contiguous share of the cells, libtorch single-threaded per call. Returns {cells/s,
   * padding fraction}.
   */
  static double[] run(
      Encoder encoder, EmbeddingSettings settings, List<int[]> cells, int workers, boolean grouped)
      throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(workers);
    List<java.util.concurrent.Future<double[]>> parts = new ArrayList<>();
    long t = System.nanoTime();
    for (int w = 0; w < workers; w++) {
      List<int[]> share =
          cells.subList(cells.size() * w / workers, cells.size() * (w + 1) / workers);
      parts.add(
          pool.submit(
              () -> {
                try (CellEmbedder e = new CellEmbedder(encoder, Device.cpu(), settings, grouped)) {
                  e.embed(share);
                  long tokens = share.stream().mapToLong(c -> c.length).sum();
                  return new double[] {e.paddingFraction(), tokens};
                }
              }));
    }
    double paddedWeighted = 0;
    double tokens = 0;
    for (var f : parts) {
      double[] r = f.get();
      // padding fraction of the whole run: weight each worker by its padded tokens
      double padded = r[1] / (1 - r[0]);
      paddedWeighted += padded;
      tokens += r[1];
    }
    double seconds = (System.nanoTime() - t) / 1e9;
    pool.shutdown();
    return new double[] {cells.size() / seconds, (paddedWeighted - tokens) / paddedWeighted};
  }

  /** Row-wise geneformer_embed vs the batched table function, on local[threads]. */
  private static void sql(Path work, List<int[]> cells, int threads) {
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "embed-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      rows.add(RowFactory.create("c" + i, Arrays.stream(cells.get(i)).boxed().toList()));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
    spark.createDataFrame(rows, schema).repartition(threads).createOrReplaceTempView("bench_cells");
    spark.conf().set(CellsparkSettings.MODEL.name(), work.resolve("model").toString());
    spark.conf().set(CellsparkSettings.VOCABULARY.name(), "builtin:geneformer-v1");
    spark
        .sql("SELECT count(geneformer_embed(input_ids)) FROM (SELECT * FROM bench_cells LIMIT 2)")
        .collect(); // warm-up
    long t = System.nanoTime();
    spark.sql("SELECT count(geneformer_embed(input_ids)) FROM bench_cells").collect();
    double rowWise = cells.size() / ((System.nanoTime() - t) / 1e9);
    t = System.nanoTime();
    spark.sql("SELECT count(embedding) FROM geneformer_embed_table('bench_cells')").collect();
    double batched = cells.size() / ((System.nanoTime() - t) / 1e9);
    Dataset<Row> check = spark.sql("SELECT * FROM geneformer_embed_table('bench_cells')");
    System.out.printf(
        Locale.ROOT,
        "  SQL on local[%d], %d cells: geneformer_embed row by row %.3f cells/s,"
            + " geneformer_embed_table %.3f cells/s (%d columns)%n",
        threads,
        cells.size(),
        rowWise,
        batched,
        check.columns().length);
    spark.stop();
  }

  private static String pytorchBaseline(int threads) {
    Path python = Paths.get("/usr/bin/python3");
    Path script = Paths.get("bench/embed/pytorch_baseline.py").toAbsolutePath();
    if (!Files.isExecutable(python) || !Files.exists(script)) {
      return null;
    }
    try {
      Process p =
          new ProcessBuilder(
                  python.toString(), script.toString(), "--threads", String.valueOf(threads))
              .redirectErrorStream(true)
              .start();
      String last = null;
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("pytorch_eager")) {
            last = line;
          }
        }
      }
      return p.waitFor() == 0 ? last : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static String field(String line, String key) {
    for (String part : line.split(" ")) {
      if (part.startsWith(key + "=")) {
        return part.substring(key.length() + 1);
      }
    }
    throw new IllegalArgumentException(key + " not in " + line);
  }
}
