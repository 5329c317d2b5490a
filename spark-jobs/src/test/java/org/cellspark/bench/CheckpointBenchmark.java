package org.cellspark.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.HdfsCluster;

/**
 * What a screen's checkpoints cost on a distributed file system: the same gene-list screen
 * (deleting LYZ and CD14 in every cell of the demo's 2,000-cell atlas with its tiny model: one
 * small work unit per cell, so checkpoint writes weigh most) with its output, and so its checkpoint
 * folder, on local disk and on a real HDFS (Hadoop's NameNode and a DataNode in this JVM),
 * alternating, in one run. Prints perturbations/s of each and the ratio HDFS / local
 * (bench/perturb/README.md). Args: WORK_DIR THREADS ROUNDS
 */
public final class CheckpointBenchmark {
  private CheckpointBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    Files.createDirectories(work);
    Path demo =
        Fixtures.repositoryRoot().resolve("spark-jobs/src/main/resources/org/cellspark/demo");
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "checkpoint-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    String tokens = work.resolve("tokens").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(demo.resolve("sample_atlas.h5ad").toString())
            .vocabulary("builtin:geneformer-v1")
            .output(tokens)
            .overwrite(true)
            .build());
    try (HdfsCluster hdfs = HdfsCluster.start(work)) {
      screen(spark, tokens, demo, work.resolve("warm-up").toString()); // JIT, libtorch, model
      List<double[]> rates = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        PerturbResult local = screen(spark, tokens, demo, work.resolve("screen-" + r).toString());
        PerturbResult remote = screen(spark, tokens, demo, hdfs.uri("/screen-" + r));
        double[] rate = {rate(local), rate(remote)};
        rates.add(rate);
        System.out.printf(
            Locale.ROOT,
            "  round %d: local disk %.1f, HDFS %.1f perturbations/s (%,d perturbations, %,d work"
                + " units)%n",
            r + 1,
            rate[0],
            rate[1],
            local.rows(),
            local.units());
      }
      double localMean = rates.stream().mapToDouble(x -> x[0]).average().orElse(0);
      double hdfsMean = rates.stream().mapToDouble(x -> x[1]).average().orElse(0);
      System.out.printf(
          Locale.ROOT,
          "checkpoint benchmark: %d rounds, %d threads%n  local disk %.1f perturbations/s, HDFS"
              + " %.1f perturbations/s, ratio HDFS / local %.2f%n",
          rounds,
          threads,
          localMean,
          hdfsMean,
          hdfsMean / localMean);
    }
    spark.stop();
  }

  private static PerturbResult screen(SparkSession spark, String tokens, Path demo, String out) {
    return PerturbJob.run(
        spark,
        PerturbOptions.of(tokens, demo.resolve("model").toString(), out, PerturbationType.DELETE)
            .withGenes(List.of("LYZ", "CD14"), false, null)
            .withOutputs(false, null, true));
  }

  private static double rate(PerturbResult r) {
    return r.rows() / r.screenSeconds();
  }
}
