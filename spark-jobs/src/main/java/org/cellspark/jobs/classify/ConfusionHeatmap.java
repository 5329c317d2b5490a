package org.cellspark.jobs.classify;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import org.cellspark.jobs.common.PngBytes;
import org.cellspark.jobs.common.StagedOutput;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * The confusion matrix as a PNG heatmap (JFreeChart): true class down, predicted class across, each
 * cell shaded by the fraction of its true class (row-normalised, so rare classes read as clearly as
 * common ones) and labelled with its count.
 */
public final class ConfusionHeatmap {
  private ConfusionHeatmap() {}

  public static void write(long[][] confusion, String[] classes, String title, OutputStream out)
      throws IOException {
    System.setProperty("java.awt.headless", "true"); // executors and CI have no display
    int n = classes.length;
    double[][] series = new double[3][n * n];
    XYPlot plot = new XYPlot();
    for (int t = 0; t < n; t++) {
      long row = 0;
      for (long c : confusion[t]) {
        row += c;
      }
      for (int p = 0; p < n; p++) {
        int k = t * n + p;
        series[0][k] = p;
        series[1][k] = n - 1 - t; // first class at the top
        series[2][k] = row == 0 ? 0 : confusion[t][p] / (double) row;
        XYTextAnnotation count = new XYTextAnnotation(Long.toString(confusion[t][p]), p, n - 1 - t);
        count.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, n > 15 ? 9 : 12));
        count.setPaint(series[2][k] > 0.6 ? Color.WHITE : Color.BLACK);
        plot.addAnnotation(count);
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("fraction of true class", series);
    LookupPaintScale scale = new LookupPaintScale(0, 1.0001, Color.WHITE);
    for (int i = 0; i <= 20; i++) {
      float f = i / 20f;
      scale.add(f, new Color(1 - 0.85f * f, 1 - 0.6f * f, 1 - 0.25f * f));
    }
    XYBlockRenderer renderer = new XYBlockRenderer();
    renderer.setPaintScale(scale);
    renderer.setBlockAnchor(
        RectangleAnchor.CENTER); // block k spans k - 0.5 .. k + 0.5, under its label
    String[] reversed = new String[n];
    for (int i = 0; i < n; i++) {
      reversed[i] = classes[n - 1 - i];
    }
    SymbolAxis predicted = new SymbolAxis("predicted", classes);
    predicted.setVerticalTickLabels(true);
    SymbolAxis truth = new SymbolAxis("true", reversed);
    predicted.setRange(-0.5, n - 0.5);
    truth.setRange(-0.5, n - 0.5);
    plot.setDataset(data);
    plot.setDomainAxis(predicted);
    plot.setRangeAxis(truth);
    plot.setRenderer(renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    PaintScaleLegend legend =
        new PaintScaleLegend(scale, new NumberAxis("fraction of the true class"));
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setMargin(4, 4, 40, 4);
    chart.addSubtitle(legend);
    int size = Math.max(480, 160 + 48 * n);
    ChartUtils.writeChartAsPNG(out, chart, size + 120, size);
  }

  /**
   * {@code STEM.csv} (the counts, true class down, predicted across: {@link
   * ClassifyJob#confusionCsv}) and {@code STEM.png} (the heatmap), into the staging folder.
   */
  public static void writeFiles(
      StagedOutput out, String stem, long[][] confusion, String[] classes, String title) {
    out.writeText(stem + ".csv", ClassifyJob.confusionCsv(confusion, classes));
    out.writeBytes(stem + ".png", PngBytes.of(s -> write(confusion, classes, title, s)));
  }

  public static String title(String split, long cells, double accuracy, double macroF1) {
    return String.format(
        Locale.ROOT,
        "%s: %,d cells, accuracy %.3f, macro-F1 %.3f",
        split,
        cells,
        accuracy,
        macroF1);
  }
}
