package org.cellspark.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.jobs.stats.StatsJob;
import org.cellspark.jobs.stats.StatsMode;
import org.cellspark.jobs.stats.StatsOptions;
import org.cellspark.jobs.stats.StatsResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * {@code cellspark stats --mode goal-state-shift} against upstream's procedure in Python (SciPy,
 * statsmodels; bench/stats/upstream_baseline.py) on the same synthetic genome-wide screen, same
 * machine, same run (bench/stats/README.md). Args: WORK_DIR THREADS CELLS GENES_PER_CELL GENES
 */
public final class StatsBenchmark {
  private StatsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int cells = Integer.parseInt(args[2]);
    int perCell = Integer.parseInt(args[3]);
    int genes = Integer.parseInt(args[4]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "stats-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Files.createDirectories(work);
    String screen = work.resolve("screen").toString();
    long values = writeScreen(spark, work, screen, cells, perCell, genes, threads);
    String small = work.resolve("screen-small").toString();
    writeScreen(spark, work.resolve("small"), small, 50, 100, 500, threads);
    StatsJob.run(
        spark,
        StatsOptions.of(small, work.resolve("warm").toString(), StatsMode.GOAL_STATE_SHIFT)
            .withOverwrite(true));

    String upstream =
        PythonBaseline.run("upstream", "bench/stats/upstream_baseline.py", work.toString());
    StatsResult r =
        StatsJob.run(
            spark,
            StatsOptions.of(screen, work.resolve("out").toString(), StatsMode.GOAL_STATE_SHIFT)
                .withOverwrite(true));
    double python = Double.parseDouble(upstream.replaceAll(".*seconds=([0-9.]+).*", "$1"));
    System.out.printf(
        Locale.ROOT,
        "stats benchmark: goal-state-shift over %,d cells x %,d genes each (%,d values, %,d genes),"
            + " local[%d]%n",
        cells,
        perCell,
        values,
        r.rows(),
        threads);
    System.out.printf(
        Locale.ROOT,
        "  upstream (Python, SciPy ranksums per gene, compute only): %.2f s  (%s)%n",
        python,
        upstream.trim());
    System.out.printf(
        Locale.ROOT,
        "  cellspark stats, end to end (read Parquet, pool, ranks, FDR, CSV + Parquet): %.2f s%n",
        r.seconds());
    System.out.printf(Locale.ROOT, "  ratio upstream / cellspark: %.1f%n", python / r.seconds());
    Row check =
        spark
            .read()
            .parquet(r.output() + "/goal_state_shift")
            .selectExpr("sum(Shift_to_goal_end)", "sum(Sig)")
            .first();
    System.out.printf(
        Locale.ROOT,
        "  cellspark significant=%d checksum=%.9f (same as upstream's when the pool is not"
            + " sampled)%n",
        check.getLong(1),
        check.getDouble(0));
    spark.stop();
  }

  /**
   * A screen of every gene: per cell, perCell distinct genes out of `genes`; 2% of genes shift
   * toward the goal.
   */
  private static long writeScreen(
      SparkSession spark, Path work, String folder, int cells, int perCell, int genes, int threads)
      throws Exception {
    Files.createDirectories(work);
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    ByteBuffer g = ByteBuffer.allocate(cells * perCell * 4).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer v = ByteBuffer.allocate(cells * perCell * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int c = 0; c < cells; c++) {
      int offset = random.nextInt(genes);
      for (int k = 0; k < perCell; k++) {
        int gene = 4 + (offset + k * 7) % genes;
        double goal = random.nextGaussian() * 0.01 + (gene % 50 == 0 ? 0.01 : 0);
        rows.add(
            RowFactory.create(
                "cell" + c,
                new Integer[] {gene},
                new String[] {"ENSG" + gene},
                new String[] {"G" + gene},
                0.9 + random.nextGaussian() * 0.01,
                random.nextGaussian() * 0.01,
                goal));
        g.putInt(gene);
        v.putDouble(goal);
      }
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("perturbed_tokens", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("perturbed_genes", DataTypes.createArrayType(DataTypes.StringType))
            .add("perturbed_symbols", DataTypes.createArrayType(DataTypes.StringType))
            .add("cosine_similarity", DataTypes.DoubleType)
            .add("shift_a", DataTypes.DoubleType)
            .add("shift_b", DataTypes.DoubleType);
    spark
        .createDataFrame(rows, schema)
        .repartition(threads * 4)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(folder + "/cell_shifts");
    Files.writeString(
        Paths.get(folder, "_cellspark.json"),
        "{\"job\": \"perturb\", \"options\": {\"perturbation\": \"delete\", \"genes\": \"all\","
            + " \"group\": false, \"anchor_gene\": null, \"states\": \"state:start=a,goal=b\"}}");
    Files.write(work.resolve("genes.i32"), g.array());
    Files.write(work.resolve("goal.f64"), v.array());
    return rows.size();
  }
}
