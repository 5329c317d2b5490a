package org.cellspark.jobs.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The demo report's plots, drawn with JFreeChart into PNG files. Tiny values are plotted in a
 * stated power of ten (an axis "shift (×10⁻⁶)" with ticks 1, 2, 3), never as "-8E-6" ticks.
 */
final class DemoCharts {
  private DemoCharts() {}

  /**
   * Cells in the plane of the embeddings' first two principal components, one colour per cell type;
   * each axis says its component's share of the variance.
   */
  static void embeddingScatter(
      Map<String, List<double[]>> pointsByType, double[] explained, Path png) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    pointsByType.forEach(
        (type, points) -> {
          XYSeries s = new XYSeries(type, false, true);
          points.forEach(p -> s.add(p[0], p[1]));
          data.addSeries(s);
        });
    JFreeChart chart =
        ChartFactory.createScatterPlot(
            "Cell embeddings, first two principal components",
            "PC 1 (" + Figures.percent(explained[0]) + " of the variance)",
            "PC 2 (" + Figures.percent(explained[1]) + " of the variance)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.getRenderer().setDefaultOutlineStroke(new BasicStroke(0.5f));
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 720, 540);
  }

  /**
   * The genes whose deletion moves the cells most toward the goal state, and most away from it, by
   * their mean shift, in one power of ten.
   */
  static void shiftBars(
      List<DemoResult.GeneShift> toward, List<DemoResult.GeneShift> away, String goal, Path png)
      throws IOException {
    double[] all =
        java.util.stream.Stream.concat(toward.stream(), away.stream())
            .mapToDouble(DemoResult.GeneShift::shiftToGoal)
            .toArray();
    int e = Figures.exponent(all);
    double scale = Math.pow(10, e);
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (DemoResult.GeneShift s : toward) {
      data.addValue(s.shiftToGoal() / scale, "toward " + goal, s.gene());
    }
    for (DemoResult.GeneShift s : away) {
      data.addValue(s.shiftToGoal() / scale, "away from " + goal, s.gene());
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Deleting each gene: mean shift toward " + goal,
            "gene deleted",
            "cosine shift toward the goal state"
                + (e == 0 ? "" : " (×10" + Figures.superscript(e) + ")"),
            data,
            PlotOrientation.HORIZONTAL,
            true,
            false,
            false);
    chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
    chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 720, 120 + 24 * Math.max(1, all.length));
  }

  /** Tokens per cell across the token table. */
  static void lengthHistogram(int[] lengths, Path png) throws IOException {
    double[] values = new double[lengths.length];
    for (int i = 0; i < lengths.length; i++) {
      values[i] = lengths[i];
    }
    HistogramDataset data = new HistogramDataset();
    data.addSeries("cells", values, 40);
    JFreeChart chart =
        ChartFactory.createHistogram(
            "Tokens per cell",
            "tokens (genes ranked)",
            "cells",
            data,
            PlotOrientation.VERTICAL,
            false,
            false,
            false);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 720, 360);
  }
}
