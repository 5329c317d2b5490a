package org.cellspark.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.genes.GeneClassifierApply;
import org.cellspark.model.Precision;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * `classify apply` with a gene classifier (bench/gene-classify/make_inputs.py: V1's shape, 2
 * classes) over the benchmark's cells on local[THREADS], every gene classified and 200 genes of
 * known class scored, against PyTorch eager classifying the same cells' tokens with the same
 * weights and summing per gene (pytorch_baseline.py), in the same run; and the two sides' mean
 * probabilities compared gene by gene.
 *
 * <p>{@code bench/gene-classify/run.sh [THREADS]}
 */
public final class GeneClassifyBenchmark {
  private GeneClassifyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    List<int[]> cells = BenchCells.read(work.resolve("cells.txt"));
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "gene-classify-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    String tokens = work.resolve("job/tokens").toString();
    BenchCells.writeTokens(spark, cells, tokens, threads);
    String warm = work.resolve("job/warm-tokens").toString();
    BenchCells.writeTokens(
        spark,
        List.of(Arrays.copyOf(cells.get(0), 40), Arrays.copyOf(cells.get(1), 40)),
        warm,
        threads);
    Vocabulary v = VocabularyLoader.load("builtin:geneformer-v1");
    Path classes = work.resolve("job/gene_classes.json");
    Files.writeString(classes, geneClasses(v));
    GeneClassifierApply.run(spark, options(work, warm, "warm", classes)); // libtorch's first load

    List<String> python =
        PythonBaseline.lines(
            "bench/gene-classify/pytorch_baseline.py", "--threads", String.valueOf(threads));
    String pytorch =
        python.stream().filter(l -> l.startsWith("pytorch_eager")).findFirst().orElseThrow();
    long start = System.nanoTime();
    GeneClassifierApply.Result r =
        GeneClassifierApply.run(spark, options(work, tokens, "out", classes));
    double seconds = (System.nanoTime() - start) / 1e9;

    Map<String, double[]> ours = new HashMap<>();
    Map<String, Integer> tokenOf = new HashMap<>();
    v.tokenIds().forEach(tokenOf::put);
    for (String line :
        Files.readAllLines(work.resolve("job/out/predictions.csv")).stream().skip(1).toList()) {
      String[] f = line.split(",", -1);
      ours.put(
          String.valueOf(tokenOf.get(f[0])),
          new double[] {Double.parseDouble(f[6]), Double.parseDouble(f[7])});
    }
    double maxDiff = 0;
    int compared = 0;
    for (String line : python) {
      if (line.startsWith("gene ")) {
        String[] f = line.split(" ");
        double[] mine = ours.get(f[1]);
        maxDiff = Math.max(maxDiff, Math.abs(mine[0] - Double.parseDouble(f[2])));
        maxDiff = Math.max(maxDiff, Math.abs(mine[1] - Double.parseDouble(f[3])));
        compared++;
      }
    }
    double rate = Double.parseDouble(field(pytorch, "cells_per_s"));
    System.out.printf(
        Locale.ROOT,
        "gene-classifier benchmark: %d cells (mean %.0f tokens), every gene classified, local[%d],"
            + " V1 shape%n"
            + "  PyTorch eager, upstream-style slices:  %8.3f cells/s  (%s)%n"
            + "  cellspark classify apply, end to end: %8.3f cells/s  (%.1f s: %,d genes, %,d"
            + " occurrences; %s)%n"
            + "  ratio cellspark / PyTorch: %.2f%n"
            + "  mean probabilities of %d genes: max |cellspark - PyTorch| %.2e%n",
        cells.size(),
        cells.stream().mapToInt(c -> c.length).average().orElse(0),
        threads,
        rate,
        pytorch,
        cells.size() / seconds,
        seconds,
        r.genes(),
        r.occurrences(),
        r.line(),
        cells.size() / seconds / rate,
        compared,
        maxDiff);
    spark.stop();
  }

  /** 100 genes per class: the vocabulary's first 200 genes in token order. */
  private static String geneClasses(Vocabulary v) {
    String[] genes = new String[v.size()];
    v.tokenIds().forEach((gene, token) -> genes[token] = gene);
    StringBuilder json = new StringBuilder("{\"sensitive\": [");
    for (int t = 2; t < 102; t++) {
      json.append(t > 2 ? ", " : "").append('"').append(genes[t]).append('"');
    }
    json.append("], \"insensitive\": [");
    for (int t = 102; t < 202; t++) {
      json.append(t > 102 ? ", " : "").append('"').append(genes[t]).append('"');
    }
    return json.append("]}").toString();
  }

  private static GeneClassifierApply.Options options(
      Path work, String tokens, String out, Path classes) {
    return new GeneClassifierApply.Options(
        work.resolve("model").toString(),
        tokens,
        "builtin:geneformer-v1",
        work.resolve("job/" + out).toString(),
        true,
        List.of("all"),
        classes.toString(),
        null,
        0,
        42,
        Precision.FP32);
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
