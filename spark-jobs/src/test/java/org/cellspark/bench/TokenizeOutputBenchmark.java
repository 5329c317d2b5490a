package org.cellspark.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.tokenize.OutputFormat;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Tokenize to Parquet against tokenize to a Hugging Face dataset ({@code --output-format dataset}),
 * the same atlas, alternating rounds, the first left out (bench/hf-dataset/README.md). Args:
 * ATLAS.h5ad WORK_DIR THREADS ROUNDS
 */
public final class TokenizeOutputBenchmark {
  private TokenizeOutputBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path work = Paths.get(args[1]).toAbsolutePath();
    int threads = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "tokenize-output-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    OutputFormat[] formats = {OutputFormat.PARQUET, OutputFormat.DATASET};
    List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
    long[] bytes = new long[2];
    long cells = 0;
    for (int round = 0; round <= rounds; round++) {
      for (int f = 0; f < 2; f++) {
        Path out = work.resolve(formats[f].name().toLowerCase(Locale.ROOT));
        TokenizeResult r =
            TokenizeJob.run(
                spark,
                TokenizeOptions.builder()
                    .input(atlas.toString())
                    .vocabulary("builtin:geneformer-v1")
                    .outputFormat(formats[f])
                    .overwrite(true)
                    .output(out.toString())
                    .build());
        cells = r.cellsWritten();
        bytes[f] = size(out);
        if (round > 0) {
          rates.get(f).add(r.cellsWritten() / r.seconds());
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "tokenize output benchmark: %,d cells, local[%d], %d rounds (first left out)%n",
        cells,
        threads,
        rounds);
    double parquet = Rounds.median(rates.get(0));
    for (int f = 0; f < 2; f++) {
      double rate = Rounds.median(rates.get(f));
      System.out.printf(
          Locale.ROOT,
          "  %-8s %,9.0f cells/s  %,6.0f MB  ratio to Parquet %.2f%n",
          formats[f].name().toLowerCase(Locale.ROOT),
          rate,
          bytes[f] / 1e6,
          rate / parquet);
    }
    spark.stop();
  }

  private static long size(Path p) throws IOException {
    try (Stream<Path> files = Files.walk(p)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().endsWith(".crc"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }
}
