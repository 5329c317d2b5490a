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
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ClassifyOptions;
import org.cellspark.jobs.classify.ClassifyResult;
import org.cellspark.spark.SparkSessionFactory;

/**
 * {@code cellspark classify} (logistic regression, its 4-setting grid) against scikit-learn doing
 * the same on the same embeddings and donor splits, then the same with {@code --folds K} against
 * scikit-learn on the same folds (bench/classify/README.md). Args: WORK_DIR THREADS CELLS
 * DIMENSIONS CLASSES DONORS [FOLDS=5; 0: none]
 */
public final class ClassifyBenchmark {
  private ClassifyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    int cells = Integer.parseInt(args[2]);
    int dims = Integer.parseInt(args[3]);
    int classes = Integer.parseInt(args[4]);
    int donors = Integer.parseInt(args[5]);
    int folds = args.length > 6 ? Integer.parseInt(args[6]) : 5;
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "classify-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Files.createDirectories(work);
    String emb = write(spark, work, "emb", cells, dims, classes, donors, threads, true);
    String small = write(spark, work, "emb-small", 2000, dims, classes, donors, threads, false);
    ClassifyJob.run(spark, options(small, work.resolve("warm"))); // JIT, MLlib's first use

    ClassifyResult r = ClassifyJob.run(spark, options(emb, work.resolve("out")));
    String sklearn = sklearn(work, "out");
    double python = seconds(sklearn);
    System.out.printf(
        Locale.ROOT,
        "classify benchmark: %,d cells x %d dimensions, %d classes, %d donors, local[%d], logistic,"
            + " 4 settings%n",
        cells,
        dims,
        classes,
        donors,
        threads);
    System.out.printf(
        Locale.ROOT,
        "  scikit-learn (lbfgs, 1 process; fit, choose, predict): %.2f s  (%s)%n",
        python,
        sklearn.trim());
    System.out.printf(
        Locale.ROOT,
        "  cellspark classify, end to end (read, split, fit, choose, score all splits, write): %.2f"
            + " s; test accuracy %.4f, macro-F1 %.4f%n",
        r.seconds(),
        (Double) r.test().get("accuracy"),
        (Double) r.test().get("macro_f1"));
    System.out.printf(
        Locale.ROOT, "  ratio scikit-learn / cellspark: %.2f%n", python / r.seconds());
    if (folds > 1) {
      ClassifyResult cv =
          ClassifyJob.run(
              spark, options(emb, work.resolve("out-cv")).toBuilder().folds(folds).build());
      String sklearnCv = sklearn(work, "out-cv");
      double pythonCv = seconds(sklearnCv);
      System.out.printf(
          Locale.ROOT,
          "  --folds %d: scikit-learn on the same folds %.2f s  (%s)%n",
          folds,
          pythonCv,
          sklearnCv.trim());
      System.out.printf(
          Locale.ROOT,
          "  --folds %d: cellspark classify, end to end: %.2f s; test accuracy %.4f +- %.4f,"
              + " macro-F1 %.4f +- %.4f (means over folds)%n",
          folds,
          cv.seconds(),
          (Double) cv.test().get("accuracy_mean"),
          (Double) cv.test().get("accuracy_sd"),
          (Double) cv.test().get("macro_f1_mean"),
          (Double) cv.test().get("macro_f1_sd"));
      System.out.printf(
          Locale.ROOT,
          "  --folds %d: ratio scikit-learn / cellspark %.2f; cellspark's folds / its one split"
              + " %.2f%n",
          folds,
          pythonCv / cv.seconds(),
          cv.seconds() / r.seconds());
    }
    spark.stop();
  }

  /** scikit-learn's line for the splits (or folds) a classify run wrote into {@code output}. */
  private static String sklearn(Path work, String output) throws Exception {
    return PythonBaseline.run(
        "sklearn",
        "bench/classify/sklearn_baseline.py",
        work.toString(),
        work.resolve(output + "/splits.csv").toString());
  }

  private static double seconds(String sklearnLine) {
    return Double.parseDouble(sklearnLine.replaceAll(".*seconds=([0-9.]+).*", "$1"));
  }

  private static ClassifyOptions options(String emb, Path out) {
    return ClassifyOptions.of(emb, "cell_type", "donor", out.toString()).withOverwrite(true);
  }

  /** Gaussian clusters per class with overlap, donors with a small offset of their own. */
  private static String write(
      SparkSession spark,
      Path work,
      String name,
      int cells,
      int dims,
      int classes,
      int donors,
      int threads,
      boolean raw)
      throws Exception {
    Random random = new Random(11);
    double[][] centre = new double[classes][dims];
    double[][] shift = new double[donors][dims];
    for (double[] c : centre) {
      for (int k = 0; k < dims; k++) {
        c[k] = random.nextGaussian() * 0.15;
      }
    }
    for (double[] s : shift) {
      for (int k = 0; k < dims; k++) {
        s[k] = random.nextGaussian() * 0.05;
      }
    }
    List<Row> rows = new ArrayList<>(cells);
    ByteBuffer x =
        raw ? ByteBuffer.allocate(cells * dims * 4).order(ByteOrder.LITTLE_ENDIAN) : null;
    ByteBuffer y = raw ? ByteBuffer.allocate(cells * 4).order(ByteOrder.LITTLE_ENDIAN) : null;
    ByteBuffer g = raw ? ByteBuffer.allocate(cells * 4).order(ByteOrder.LITTLE_ENDIAN) : null;
    for (int i = 0; i < cells; i++) {
      int c = random.nextInt(classes);
      int d = random.nextInt(donors);
      Float[] v = new Float[dims];
      for (int k = 0; k < dims; k++) {
        v[k] = (float) (centre[c][k] + shift[d][k] + random.nextGaussian() * 1.0);
        if (raw) {
          x.putFloat(v[k]);
        }
      }
      if (raw) {
        y.putInt(c);
        g.putInt(d);
      }
      rows.add(RowFactory.create("cell" + i, "type" + c, "donor" + d, v));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("cell_type", DataTypes.StringType)
            .add("donor", DataTypes.StringType)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    String folder = work.resolve(name).toString();
    spark
        .createDataFrame(rows, schema)
        .repartition(threads * 4)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(folder);
    if (raw) {
      // Classes "type<c>" are indexed alphabetically by Cellspark; sklearn gets the plain integers.
      Files.write(work.resolve("x.f32"), x.array());
      Files.write(work.resolve("y.i32"), y.array());
      Files.write(work.resolve("donor.i32"), g.array());
      Files.write(
          work.resolve("meta.i32"),
          ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(cells).putInt(dims).array());
    }
    return folder;
  }
}
