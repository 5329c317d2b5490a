package org.cellspark.jobs.classify;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.cellspark.jobs.common.PngBytes;
import org.cellspark.jobs.common.StagedOutput;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import scala.Tuple2;

/**
 * ROC curves of a two-class classifier's cross-validation (genes or cells), as upstream plots them:
 * each fold's test examples scored by the second class's probability (Spark MLlib's {@link
 * BinaryClassificationMetrics}, exact: no binning), each curve interpolated linearly onto 100
 * evenly spaced false-positive rates (the first point's true-positive rate set to 0), the mean of
 * those, and its area by the trapezoid rule.
 */
public final class RocCurves {
  public static final int POINTS = 100;

  /** One fold's curve: its (fpr, tpr) points in order, its area, its curve on the grid. */
  public record Curve(int fold, double[] fpr, double[] tpr, double auc, double[] onGrid) {}

  private RocCurves() {}

  public static Curve of(JavaSparkContext sc, int fold, float[][] probabilities, int[] labels) {
    List<Tuple2<Object, Object>> scored = new ArrayList<>(labels.length);
    for (int i = 0; i < labels.length; i++) {
      scored.add(new Tuple2<>((double) probabilities[i][1], (double) labels[i]));
    }
    return of(fold, sc.parallelize(scored, 1).rdd());
  }

  /**
   * The second class's ROC curve over examples scored by {@code metrics}, or null unless there are
   * two classes and both among the examples' truths (no curve then).
   *
   * @param scored the examples' (second class's probability, true class 0 or 1), made only when a
   *     curve is drawn
   */
  public static Curve ofSecondClass(
      ClassMetrics metrics, Supplier<org.apache.spark.rdd.RDD<Tuple2<Object, Object>>> scored) {
    // The second class's examples: its row of the confusion matrix.
    long positives =
        metrics.confusion().length == 2 ? Arrays.stream(metrics.confusion()[1]).sum() : 0;
    return positives > 0 && positives < metrics.cells() ? of(0, scored.get()) : null;
  }

  /**
   * One fold's curve from its test examples where they are (the second class's probability, the
   * class 0 or 1, as doubles): only the curve's points come to the driver.
   */
  public static Curve of(int fold, org.apache.spark.rdd.RDD<Tuple2<Object, Object>> scored) {
    BinaryClassificationMetrics m = new BinaryClassificationMetrics(scored, 0);
    try {
      List<Tuple2<Object, Object>> points = m.roc().toJavaRDD().collect();
      double[] fpr = new double[points.size()];
      double[] tpr = new double[points.size()];
      for (int i = 0; i < points.size(); i++) {
        fpr[i] = (Double) points.get(i)._1();
        tpr[i] = (Double) points.get(i)._2();
      }
      double[] onGrid = interpolate(fpr, tpr);
      onGrid[0] = 0;
      return new Curve(fold, fpr, tpr, m.areaUnderROC(), onGrid);
    } finally {
      m.unpersist();
    }
  }

  /** The grid of false-positive rates: 0 to 1 in {@link #POINTS} steps. */
  public static double[] grid() {
    double[] x = new double[POINTS];
    for (int i = 0; i < POINTS; i++) {
      x[i] = (double) i / (POINTS - 1);
    }
    return x;
  }

  /** The folds' interpolated curves averaged, ending at (1, 1). */
  public static double[] mean(List<Curve> curves) {
    double[] mean = new double[POINTS];
    for (Curve c : curves) {
      for (int i = 0; i < POINTS; i++) {
        mean[i] += c.onGrid()[i] / curves.size();
      }
    }
    mean[POINTS - 1] = 1;
    return mean;
  }

  /** The area under a curve on the grid (trapezoids). */
  public static double area(double[] onGrid) {
    double[] x = grid();
    double a = 0;
    for (int i = 1; i < POINTS; i++) {
      a += (x[i] - x[i - 1]) * (onGrid[i] + onGrid[i - 1]) / 2;
    }
    return a;
  }

  /**
   * A curve's true-positive rate at each grid point by linear interpolation between its points (at
   * a false-positive rate the curve jumps at, the highest rate there).
   */
  static double[] interpolate(double[] fpr, double[] tpr) {
    double[] x = grid();
    double[] out = new double[POINTS];
    for (int i = 0; i < POINTS; i++) {
      int right = 0;
      while (right < fpr.length && fpr[right] <= x[i]) {
        right++;
      }
      if (right == 0) {
        out[i] = tpr[0];
      } else if (right == fpr.length) {
        out[i] = tpr[fpr.length - 1];
      } else {
        int left = right - 1;
        double span = fpr[right] - fpr[left];
        out[i] =
            span == 0
                ? tpr[right]
                : tpr[left] + (tpr[right] - tpr[left]) * (x[i] - fpr[left]) / span;
      }
    }
    return out;
  }

  /** roc.csv: the grid's false-positive rates, each fold's true-positive rate there, the mean. */
  public static String csv(List<Curve> curves) {
    StringBuilder csv = new StringBuilder("fpr");
    for (Curve c : curves) {
      csv.append(",tpr_fold_").append(c.fold() + 1);
    }
    csv.append(",tpr_mean\n");
    double[] x = grid();
    double[] mean = mean(curves);
    for (int i = 0; i < x.length; i++) {
      csv.append(String.format(Locale.ROOT, "%.6f", x[i]));
      for (Curve c : curves) {
        csv.append(String.format(Locale.ROOT, ",%.6f", c.onGrid()[i]));
      }
      csv.append(String.format(Locale.ROOT, ",%.6f%n", mean[i]));
    }
    return csv.toString();
  }

  /**
   * {@code STEM.csv} ({@link #csv}) and {@code STEM.png} ({@link #write}), into the staging folder.
   */
  public static void writeFiles(
      StagedOutput out, String stem, List<Curve> curves, String examples, String positive) {
    out.writeText(stem + ".csv", csv(curves));
    out.writeBytes(stem + ".png", PngBytes.of(s -> write(curves, examples, positive, s)));
  }

  /**
   * roc.png: every fold's curve, the mean in black, the diagonal.
   *
   * @param examples what was scored, for the title ("test genes", "test cells")
   */
  public static void write(List<Curve> curves, String examples, String positive, OutputStream out)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    List<Curve> byFold = new ArrayList<>(curves);
    byFold.sort(Comparator.comparingInt(Curve::fold));
    for (Curve c : byFold) {
      XYSeries s =
          new XYSeries(
              String.format(Locale.ROOT, "fold %d (AUC %.3f)", c.fold() + 1, c.auc()), false);
      for (int i = 0; i < c.fpr().length; i++) {
        s.add(c.fpr()[i], c.tpr()[i]);
      }
      data.addSeries(s);
    }
    double[] mean = mean(curves);
    XYSeries m = new XYSeries(String.format(Locale.ROOT, "mean (AUC %.3f)", area(mean)), false);
    double[] x = grid();
    for (int i = 0; i < POINTS; i++) {
      m.add(x[i], mean[i]);
    }
    data.addSeries(m);
    XYSeries chance = new XYSeries("chance", false);
    chance.add(0, 0);
    chance.add(1, 1);
    data.addSeries(chance);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "ROC, " + examples + " (positive class: " + positive + ")",
            "false positive rate",
            "true positive rate",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    int meanSeries = byFold.size();
    r.setSeriesPaint(meanSeries, Color.BLACK);
    r.setSeriesStroke(meanSeries, new BasicStroke(3f));
    r.setSeriesPaint(meanSeries + 1, Color.GRAY);
    r.setSeriesStroke(
        meanSeries + 1,
        new BasicStroke(
            1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 6f}, 0f));
    plot.setRenderer(r);
    ChartUtils.writeChartAsPNG(out, chart, 640, 560);
  }
}
