package org.cellspark.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.spark.SparkSessionFactory;

/**
 * {@code cellspark perturb} against upstream's per-cell PyTorch loop (bench/perturb/README.md):
 * deletion of every gene of the benchmark's cells, same weights, same CPU, same run. Args: WORK_DIR
 * THREADS CELLS (0 = all)
 */
public final class PerturbJobBenchmark {
  private PerturbJobBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int limit = Integer.parseInt(args[2]);
    List<int[]> cells = BenchCells.read(work.resolve("cells.txt"));
    if (limit > 0) {
      cells = cells.subList(0, limit);
    }
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "perturb-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    String tokens = work.resolve("job/tokens").toString();
    BenchCells.writeTokens(spark, cells, tokens, threads);
    // Warm-up: libtorch's load and first passes, on two short cells.
    String warm = work.resolve("job/warm-tokens").toString();
    BenchCells.writeTokens(
        spark,
        List.of(Arrays.copyOf(cells.get(0), 40), Arrays.copyOf(cells.get(1), 40)),
        warm,
        threads);
    PerturbJob.run(spark, options(work, warm, "warm"));

    String pytorch = pytorchBaseline(threads, limit);
    PerturbResult r = PerturbJob.run(spark, options(work, tokens, "out"));
    double screen = r.rows() / r.screenSeconds();
    double endToEnd = r.rows() / r.seconds();
    System.out.printf(
        Locale.ROOT,
        "perturb benchmark: delete every gene of %d cells (%d perturbations), local[%d], 4 layers /"
            + " hidden 128%n",
        cells.size(),
        r.rows(),
        threads);
    if (pytorch != null) {
      double rate = Double.parseDouble(field(pytorch, "perturbations_per_s"));
      System.out.printf(
          Locale.ROOT,
          "  PyTorch eager, upstream's per-cell loop:   %9.2f perturbations/s  (%s)%n",
          rate,
          pytorch);
      System.out.printf(
          Locale.ROOT,
          "  cellspark perturb, model work:             %9.2f perturbations/s  (%.1f s)%n",
          screen,
          r.screenSeconds());
      System.out.printf(
          Locale.ROOT,
          "  cellspark perturb, end to end:             %9.2f perturbations/s  (%.1f s: plan,"
              + " screen, tables)%n",
          endToEnd,
          r.seconds());
      System.out.printf(
          Locale.ROOT,
          "  ratio cellspark / PyTorch: %.2f model work, %.2f end to end (target >= 1.5)%n",
          screen / rate,
          endToEnd / rate);
    } else {
      System.out.printf(
          Locale.ROOT, "  PyTorch baseline not run (no /usr/bin/python3 with torch)%n");
      System.out.printf(
          Locale.ROOT,
          "  cellspark perturb: %.2f perturbations/s model work, %.2f end to end%n",
          screen,
          endToEnd);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> timings = (Map<String, Object>) r.summary().get("timings");
    @SuppressWarnings("unchecked")
    Map<String, Object> counts = (Map<String, Object>) r.summary().get("counts");
    System.out.printf(
        Locale.ROOT,
        "  tasks %s, work units %s; task seconds max %s, median %s: straggler ratio %.2f (target <="
            + " 1.5)%n",
        counts.get("tasks"),
        counts.get("work_units"),
        timings.get("task_seconds_max"),
        timings.get("task_seconds_median"),
        r.stragglerRatio());
    spark.stop();
  }

  private static PerturbOptions options(Path work, String tokens, String out) {
    return PerturbOptions.of(
            tokens,
            work.resolve("model").toString(),
            work.resolve("job/" + out).toString(),
            PerturbationType.DELETE)
        .withSelection("builtin:geneformer-v1", List.<CellSelection.Filter>of(), 0, 42)
        .withOutputs(false, null, true);
  }

  private static String pytorchBaseline(int threads, int cells) {
    Path python = Paths.get("/usr/bin/python3");
    Path script = Paths.get("bench/perturb/pytorch_baseline.py").toAbsolutePath();
    if (!Files.isExecutable(python) || !Files.exists(script)) {
      return null;
    }
    try {
      Process p =
          new ProcessBuilder(
                  python.toString(),
                  script.toString(),
                  "--threads",
                  String.valueOf(threads),
                  "--cells",
                  String.valueOf(cells))
              .redirectErrorStream(true)
              .start();
      String last = null;
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
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
