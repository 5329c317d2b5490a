package org.cellspark.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.io.h5ad.CountsMatrix;
import org.cellspark.io.h5ad.H5adFile;
import org.cellspark.io.hdf5.ChunkCursor;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Tokenize throughput against its I/O floor, measured in one run (see bench/tokenize/README.md).
 *
 * <p>Both sides are warmed up first (the floor on the first 20,000 cells, tokenize on the demo's
 * sample atlas), so the ratio compares steady states, not JIT and Spark start-up.
 *
 * <p>The floor is the same HDF5 reader reading the same matrix (indptr, then indices and values
 * through the data source's chunk cursors) on as many threads as Spark has cores, with no Spark and
 * no encoding. It is measured before and after the tokenize job and averaged, since this machine is
 * shared and speeds drift; the ratio is what to compare across runs.
 *
 * <p>Args: ATLAS.h5ad WORK_DIR [CORES]
 */
public final class TokenizeBenchmark {
  private TokenizeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path work = Paths.get(args[1]).toAbsolutePath();
    int cores = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Files.createDirectories(work);

    long cells;
    long stored;
    try (H5adFile h5 = H5adFile.open(atlas, atlas.toString())) {
      CountsMatrix m = h5.counts(CountsLocation.X);
      cells = m.rows();
      stored = m.storedValues();
    }
    System.out.printf(
        Locale.ROOT,
        "tokenize benchmark: %,d cells, %,.0f stored values per cell, %.2f GB file, %d cores, max"
            + " heap %d MB%n",
        cells,
        (double) stored / cells,
        Files.size(atlas) / 1e9,
        cores,
        Runtime.getRuntime().maxMemory() >> 20);

    readFloor(atlas, cores, Math.min(cells, 20_000)); // warm-up: JIT, page cache
    resetPeaks();
    double floor1 = readFloor(atlas, cores, cells);
    long floorHeap = peakHeap();

    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "tokenize-benchmark",
            Map.of("spark.master", "local[" + cores + "]", "spark.ui.enabled", "false"));
    // Warm-up, as for the floor: one run on the demo's 2,000-cell atlas (JIT, Spark's codegen).
    Path sample = work.resolve("warmup.h5ad");
    try (var in =
        TokenizeBenchmark.class.getResourceAsStream("/org/cellspark/demo/sample_atlas.h5ad")) {
      Files.copy(in, sample, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    TokenizeResult warm = tokenize(spark, sample, work.resolve("warmup-tokens"), false);
    System.out.printf(
        Locale.ROOT,
        "  warm-up: tokenized the 2,000-cell sample atlas in %.1f s%n",
        warm.seconds());
    resetPeaks();
    TokenizeResult r = tokenize(spark, atlas, work.resolve("tokens"), false);
    long tokenizeHeap = peakHeap();
    // --keep-counts: the same run writing each token's depth-normalised count too.
    TokenizeResult counted = tokenize(spark, atlas, work.resolve("tokens-counts"), true);
    spark.stop();
    double floor2 = readFloor(atlas, cores, cells);

    double floor = (floor1 + floor2) / 2;
    double tokenize = r.cellsRead() / r.seconds();
    System.out.printf(
        Locale.ROOT,
        "  I/O floor, same reader, %d threads: %,10.0f cells/s (runs: %,.0f and %,.0f)%n",
        cores,
        floor,
        floor1,
        floor2);
    System.out.printf(
        Locale.ROOT,
        "  tokenize end to end, local[%d]:     %,10.0f cells/s = %,.0f cells/s per core%n",
        cores,
        tokenize,
        tokenize / cores);
    System.out.printf(
        Locale.ROOT,
        "  ratio tokenize / I/O floor:         %10.2f  (target >= 0.50, i.e. within 2x)%n",
        tokenize / floor);
    System.out.printf(
        Locale.ROOT,
        "  cells written %,d of %,d in %.1f s; peak heap: floor %,d MB, tokenize %,d MB (max %,d"
            + " MB)%n",
        r.cellsWritten(),
        r.cellsRead(),
        r.seconds(),
        floorHeap >> 20,
        tokenizeHeap >> 20,
        Runtime.getRuntime().maxMemory() >> 20);
    double withCounts = counted.cellsRead() / counted.seconds();
    System.out.printf(
        Locale.ROOT,
        "  tokenize --keep-counts:             %,10.0f cells/s, ratio to without %.2f; output %,d"
            + " MB against %,d MB (%.2fx)%n",
        withCounts,
        withCounts / tokenize,
        folderBytes(work.resolve("tokens-counts")) >> 20,
        folderBytes(work.resolve("tokens")) >> 20,
        (double) folderBytes(work.resolve("tokens-counts")) / folderBytes(work.resolve("tokens")));
  }

  /** {@code input} tokenized with the V1 vocabulary into {@code output}, replacing it. */
  private static TokenizeResult tokenize(
      SparkSession spark, Path input, Path output, boolean keepCounts) {
    return TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(input.toString())
            .vocabulary("builtin:geneformer-v1")
            .output(output.toString())
            .overwrite(true)
            .keepCounts(keepCounts)
            .build());
  }

  private static long folderBytes(Path folder) throws java.io.IOException {
    try (var files = Files.walk(folder)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  /** Reads the first {@code cells} cells' counts on {@code threads} threads; returns cells/s. */
  static double readFloor(Path atlas, int threads, long cells) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    List<Future<Long>> parts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long from = cells * t / threads;
      long to = cells * (t + 1) / threads;
      parts.add(pool.submit(() -> readRange(atlas, from, to)));
    }
    long checksum = 0;
    for (Future<Long> f : parts) {
      checksum += f.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    if (checksum == 42) {
      System.out.println(); // keeps the reads observable
    }
    return cells / seconds;
  }

  private static long readRange(Path atlas, long from, long to) {
    long sum = 0;
    try (H5adFile h5 = H5adFile.open(atlas, atlas.toString())) {
      CountsMatrix.Sparse m = (CountsMatrix.Sparse) h5.counts(CountsLocation.X);
      long[] indptr = m.indptr(from, (int) (to - from));
      ChunkCursor genesAt = m.indexCursor();
      ChunkCursor countsAt = m.valueCursor();
      int[] genes = new int[1 << 18];
      double[] counts = new double[1 << 18];
      long pos = indptr[0];
      long end = indptr[indptr.length - 1];
      while (pos < end) { // the same cursors and piece size as the data source, nothing else
        int n = (int) Math.min(genes.length, end - pos);
        genesAt.readInts(pos, n, genes, 0);
        countsAt.readDoubles(pos, n, counts, 0);
        sum += genes[n - 1] + (long) counts[n - 1];
        pos += n;
      }
    }
    return sum;
  }

  private static void resetPeaks() {
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
      }
    }
  }

  /** Sum of the heap pools' peaks: an upper bound of the heap in use at any moment. */
  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
