package org.cellspark.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.hdf5.HdfOpener;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.S3Server;

/**
 * Reading a large h5ad from S3 (a real S3-compatible server, s3proxy, on loopback): ranged reads vs
 * a local copy per executor, against reading the local file, in one run (bench/object-storage/
 * README.md). Two workloads: every cell's counts (a tokenize or medians pass) and the cell table
 * only (what inspecting or filtering an atlas reads). Args: ATLAS.h5ad WORK_DIR THREADS
 */
public final class ObjectStorageBenchmark {
  private ObjectStorageBenchmark() {}

  private record Run(
      String workload, String how, double seconds, long requests, long bytes, long result) {}

  public static void main(String[] args) throws Exception {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path work = Paths.get(args[1]).toAbsolutePath();
    int threads = Integer.parseInt(args[2]);
    Files.createDirectories(work);
    try (S3Server s3 = S3Server.start(work, "bench")) {
      SparkSession spark =
          SparkSessionFactory.getOrCreate(
              "object-storage-benchmark",
              Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      s3.configure(conf);
      String local = atlas.toUri().toString();
      String remote = "s3a://bench/" + atlas.getFileName();
      long upload = System.nanoTime();
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(remote);
      target
          .getFileSystem(conf)
          .copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(atlas.toUri()), target);
      System.out.printf(
          Locale.ROOT,
          "uploaded %s through s3a in %.1f s%n",
          atlas.getFileName(),
          (System.nanoTime() - upload) / 1e9);
      List<Run> runs = new ArrayList<>();
      scan(spark, local, true); // JIT and page cache
      for (boolean counts : new boolean[] {true, false}) {
        runs.add(measure(spark, counts, "local file", local, null));
        runs.add(measure(spark, counts, "s3a, ranged reads", remote, "range"));
        runs.add(measure(spark, counts, "s3a, local copy", remote, "copy"));
      }
      HdfOpener.dropLocalCopies();
      long size = Files.size(atlas);
      System.out.printf(
          Locale.ROOT,
          "object storage benchmark: %s (%.2f GB) on local[%d], s3proxy on loopback%n",
          atlas.getFileName(),
          size / 1e9,
          threads);
      Map<String, Double> base = new java.util.HashMap<>();
      for (Run r : runs) {
        base.putIfAbsent(r.workload(), r.seconds());
        System.out.printf(
            Locale.ROOT,
            "  %-18s %-20s %7.1f s  ratio to local %.2f  %,7d GETs  %,9.1f MB fetched  (result"
                + " %,d)%n",
            r.workload(),
            r.how(),
            r.seconds(),
            base.get(r.workload()) / r.seconds(),
            r.requests(),
            r.bytes() / 1e6,
            r.result());
      }
      Files.writeString(
          work.resolve("object-storage-result.json"),
          new ObjectMapper()
              .writerWithDefaultPrettyPrinter()
              .writeValueAsString(
                  Map.of(
                      "file",
                      atlas.getFileName().toString(),
                      "bytes",
                      size,
                      "threads",
                      threads,
                      "runs",
                      runs)));
      spark.stop();
    }
  }

  private static Run measure(
      SparkSession spark, boolean counts, String how, String uri, String strategy) {
    if (strategy == null) {
      spark.conf().unset(CellsparkSettings.HDF5_REMOTE.name());
    } else {
      spark.conf().set(CellsparkSettings.HDF5_REMOTE.name(), strategy);
    }
    HdfOpener.dropLocalCopies();
    long requests = HdfOpener.REMOTE_REQUESTS.get();
    long bytes = HdfOpener.REMOTE_BYTES.get();
    long start = System.nanoTime();
    long result = scan(spark, uri, counts);
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Run(
        counts ? "every cell's counts" : "cell table only",
        how,
        seconds,
        HdfOpener.REMOTE_REQUESTS.get() - requests,
        HdfOpener.REMOTE_BYTES.get() - bytes,
        result);
  }

  /** Stored values over all cells (reads the matrix), or the number of cells (reads obs only). */
  private static long scan(SparkSession spark, String uri, boolean counts) {
    var df = spark.read().format("h5ad").option("obsColumns", "n_counts").load(uri);
    Row r =
        counts
            ? df.selectExpr("sum(size(gene_index))").first()
            : df.selectExpr("count(cell_id)").first();
    return r.getLong(0);
  }
}
