package org.cellspark.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Tokenize cells/s from the same cells as .h5ad, an AnnData zarr store, loom, Cell Ranger .h5 and a
 * gzipped Matrix Market folder, one run (bench/formats/README.md). Args: ATLAS.h5ad INPUT_DIR
 * OUT_DIR THREADS [ROUNDS [FORMATS]]: ROUNDS (default 1) alternates the formats that many times;
 * FORMATS (comma-separated names from the table below, default all) picks them; h5ad always runs,
 * as the baseline.
 */
public final class FormatsBenchmark {
  private FormatsBenchmark() {}

  public static void main(String[] args) {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path in = Paths.get(args[1]).toAbsolutePath();
    Path out = Paths.get(args[2]).toAbsolutePath();
    int threads = Integer.parseInt(args[3]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "formats-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    String[][] inputs = {
      {"h5ad", atlas.toString()},
      {"zarr", in.resolve("atlas.zarr").toString()},
      {"zarr-csc", in.resolve("atlas_csc.zarr").toString()},
      {"zarr-v3", in.resolve("atlas_v3.zarr").toString()},
      {"zarr-sharded", in.resolve("atlas_sharded.zarr").toString()},
      {"loom", in.resolve("atlas.loom").toString()},
      {"cellranger", in.resolve("atlas.h5").toString()},
      {"mtx", in.resolve("mtx").toString()}
    };
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    if (args.length > 5) {
      java.util.List<String> wanted = java.util.List.of(args[5].split(","));
      inputs =
          java.util.Arrays.stream(inputs)
              .filter(i -> i[0].equals("h5ad") || wanted.contains(i[0]))
              .toArray(String[][]::new);
    }
    run(spark, inputs[0][1], out.resolve("warm")); // JIT, page cache
    // Each round runs every format once; a format's figure is its median over the rounds (this
    // machine is shared: rounds interleave the formats so load falls on all of them alike).
    double[][] rates = new double[inputs.length][rounds];
    long[] cells = new long[inputs.length];
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < inputs.length; i++) {
        TokenizeResult r = run(spark, inputs[i][1], out.resolve("out" + i));
        rates[i][round] = r.cellsWritten() / r.seconds();
        cells[i] = r.cellsWritten();
      }
    }
    double[] rate = new double[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      double[] sorted = rates[i].clone();
      java.util.Arrays.sort(sorted);
      rate[i] = sorted[rounds / 2];
    }
    System.out.printf(
        Locale.ROOT,
        "formats benchmark: tokenize the same cells from %d formats, local[%d], median of %d"
            + " round(s)%n",
        inputs.length,
        threads,
        rounds);
    for (int i = 0; i < inputs.length; i++) {
      System.out.printf(
          Locale.ROOT,
          "  %-20s %,9d cells  %,9.0f cells/s  ratio to h5ad %.2f%n",
          inputs[i][0],
          cells[i],
          rate[i],
          rate[i] / rate[0]);
    }
    spark.stop();
  }

  private static TokenizeResult run(SparkSession spark, String input, Path out) {
    return TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(input)
            .vocabulary("builtin:geneformer-v1")
            .output(out.toString())
            .overwrite(true)
            .build());
  }
}
