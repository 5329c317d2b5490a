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
 * Tokenize cells/s from the same cells as .h5ad, loom, Cell Ranger .h5 and a gzipped Matrix Market
 * folder, one run (bench/formats/README.md). Args: ATLAS.h5ad INPUT_DIR OUT_DIR THREADS
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
      {"loom", in.resolve("atlas.loom").toString()},
      {"Cell Ranger .h5", in.resolve("atlas.h5").toString()},
      {"Matrix Market (gz)", in.resolve("mtx").toString()}
    };
    run(spark, inputs[0][1], out.resolve("warm")); // JIT, page cache
    double[] rate = new double[inputs.length];
    long[] cells = new long[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      TokenizeResult r = run(spark, inputs[i][1], out.resolve("out" + i));
      rate[i] = r.cellsWritten() / r.seconds();
      cells[i] = r.cellsWritten();
    }
    System.out.printf(
        Locale.ROOT,
        "formats benchmark: tokenize the same cells from %d formats, local[%d]%n",
        inputs.length,
        threads);
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
