package org.cellspark.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.medians.MediansJob;
import org.cellspark.jobs.medians.MediansOptions;
import org.cellspark.jobs.medians.MediansResult;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * {@code cellspark medians} (exact and approximate) against the I/O floor of the same HDF5 reader
 * on the same atlas, one run (bench/medians/README.md). Args: ATLAS WORK_DIR THREADS CELLS [exact]
 * ("exact": leave out the approximate run, which takes five times as long)
 */
public final class MediansBenchmark {
  private MediansBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path work = Paths.get(args[1]).toAbsolutePath();
    int threads = Integer.parseInt(args[2]);
    long cells = Long.parseLong(args[3]);
    boolean withApproximate = args.length < 5 || !"exact".equals(args[4]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "medians-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    TokenizeBenchmark.readFloor(
        atlas, threads, Math.min(cells, 20_000)); // warm-up: JIT, page cache
    double floor = TokenizeBenchmark.readFloor(atlas, threads, cells);
    MediansResult exact = MediansJob.run(spark, options(atlas, work.resolve("exact"), false));
    System.out.printf(
        Locale.ROOT,
        "medians benchmark: %,d cells of %s, local[%d]%n",
        cells,
        atlas.getFileName(),
        threads);
    System.out.printf(Locale.ROOT, "  I/O floor, same reader:      %,9.0f cells/s%n", floor);
    System.out.printf(
        Locale.ROOT,
        "  medians, exact:              %,9.0f cells/s (%.1f s, %,d genes): ratio to floor %.3f%n",
        exact.cells() / exact.seconds(),
        exact.seconds(),
        exact.genesWritten(),
        exact.cells() / exact.seconds() / floor);
    if (!withApproximate) {
      spark.stop();
      return;
    }
    MediansResult approx = MediansJob.run(spark, options(atlas, work.resolve("approx"), true));
    Vocabulary e = VocabularyLoader.load(work.resolve("exact"));
    Vocabulary a = VocabularyLoader.load(work.resolve("approx"));
    List<Double> diffs = new ArrayList<>();
    for (String g : e.medians().keySet()) {
      diffs.add(Math.abs(a.median(g) - e.median(g)) / e.median(g));
    }
    Collections.sort(diffs);
    System.out.printf(
        Locale.ROOT,
        "  medians, approximate:        %,9.0f cells/s (%.1f s): ratio to floor %.3f%n",
        approx.cells() / approx.seconds(),
        approx.seconds(),
        approx.cells() / approx.seconds() / floor);
    System.out.printf(
        Locale.ROOT,
        "  approximate vs exact, relative difference: median %.2g, 99th percentile %.2g, max"
            + " %.2g%n",
        diffs.get(diffs.size() / 2),
        diffs.get((int) (diffs.size() * 0.99)),
        diffs.get(diffs.size() - 1));
    spark.stop();
  }

  private static MediansOptions options(Path atlas, Path out, boolean approximate) {
    return MediansOptions.builder()
        .inputs(List.of(atlas.toString()))
        .output(out.toString())
        .approximate(approximate)
        .overwrite(true)
        .build();
  }
}
