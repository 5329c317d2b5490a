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
import org.cellspark.jobs.plot.PlotJob;
import org.cellspark.jobs.plot.PlotOptions;
import org.cellspark.jobs.plot.PlotResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * {@code cellspark plot --style umap} against what upstream's plot_embs runs (scikit-learn's PCA
 * and umap-learn's UMAP with scanpy's settings), on the same embeddings, same machine, same run:
 * the time of each and the quality of both layouts, scored alike by bench/plot/umap_baseline.py
 * (bench/plot/README.md). Args: WORK_DIR THREADS DIMENSIONS CELLS...
 */
public final class PlotBenchmark {
  private PlotBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int dims = Integer.parseInt(args[2]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "plot-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Files.createDirectories(work);
    String warm = write(spark, work.resolve("warm"), 2000, dims, threads);
    PlotJob.run(spark, options(warm, work.resolve("warm-out"), 2000)); // JIT, MLlib's first use
    System.out.printf(
        Locale.ROOT,
        "plot benchmark: %d dimensions, 12 cell types in 4 lineages, local[%d], UMAP (15"
            + " neighbours, min_dist 0.5) of 50 principal components%n",
        dims,
        threads);
    for (int a = 3; a < args.length; a++) {
      int cells = Integer.parseInt(args[a]);
      Path dir = work.resolve("n" + cells);
      String emb = write(spark, dir, cells, dims, threads);
      PlotResult r = PlotJob.run(spark, options(emb, dir.resolve("out"), cells));
      String line =
          PythonBaseline.run(
              "umap-learn",
              "bench/plot/umap_baseline.py",
              dir.toString(),
              dir.resolve("out/umap.csv").toString(),
              "42");
      double python = value(line, "seconds");
      System.out.printf(
          Locale.ROOT,
          "  %,7d cells: cellspark plot %.2f s (end to end), umap-learn + PCA %.2f s: ratio"
              + " umap-learn / cellspark %.2f%n",
          cells,
          r.seconds(),
          python,
          python / r.seconds());
      System.out.printf(
          Locale.ROOT,
          "           trustworthiness cellspark %.4f, umap-learn %.4f (ratio %.3f); neighbours of"
              + " the same type cellspark %.4f, umap-learn %.4f%n",
          value(line, "trust_cellspark"),
          value(line, "trust_umap_learn"),
          value(line, "trust_cellspark") / value(line, "trust_umap_learn"),
          value(line, "same_type_cellspark"),
          value(line, "same_type_umap_learn"));
    }
    spark.stop();
  }

  private static double value(String line, String key) {
    return Double.parseDouble(line.replaceAll(".*\\b" + key + "=([0-9.]+).*", "$1"));
  }

  private static PlotOptions options(String emb, Path out, int cells) {
    return PlotOptions.builder()
        .input(emb)
        .output(out.toString())
        .labels(List.of("cell_type"))
        .maxCells(cells)
        .overwrite(true)
        .build();
  }

  /**
   * Cells of twelve types: four lineages far apart, three types around each lineage's centre, unit
   * noise in every dimension; the raw values also as x.f32 / y.i32 / meta.i32 for Python.
   */
  private static String write(SparkSession spark, Path dir, int cells, int dims, int threads)
      throws Exception {
    Files.createDirectories(dir);
    Random random = new Random(5);
    double[][] lineage = new double[4][dims];
    double[][] type = new double[12][dims];
    for (double[] c : lineage) {
      for (int k = 0; k < dims; k++) {
        c[k] = random.nextGaussian() * 0.9;
      }
    }
    for (int t = 0; t < 12; t++) {
      for (int k = 0; k < dims; k++) {
        type[t][k] = lineage[t / 3][k] + random.nextGaussian() * 0.12;
      }
    }
    List<Row> rows = new ArrayList<>(cells);
    ByteBuffer x = ByteBuffer.allocate(cells * dims * 4).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer y = ByteBuffer.allocate(cells * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < cells; i++) {
      int t = random.nextInt(12);
      Float[] v = new Float[dims];
      for (int k = 0; k < dims; k++) {
        v[k] = (float) (type[t][k] + random.nextGaussian());
        x.putFloat(v[k]);
      }
      y.putInt(t);
      rows.add(RowFactory.create("cell" + i, "type" + t, v));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("cell_type", DataTypes.StringType)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    String folder = dir.resolve("emb").toString();
    spark
        .createDataFrame(rows, schema)
        .repartition(threads * 4)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(folder);
    Files.write(dir.resolve("x.f32"), x.array());
    Files.write(dir.resolve("y.i32"), y.array());
    Files.write(
        dir.resolve("meta.i32"),
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(cells).putInt(dims).array());
    return folder;
  }
}
