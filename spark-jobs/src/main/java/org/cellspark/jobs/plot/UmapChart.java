package org.cellspark.jobs.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A UMAP as a PNG (JFreeChart): one point per cell, coloured by a label, as scanpy's {@code
 * sc.pl.umap} draws it (no ticks: UMAP's axes have no units). Categories are drawn largest first,
 * so that a rare cell type lies on top of a common one rather than under it; numbers on the viridis
 * ramp from their minimum to their maximum, with its scale beside the plot.
 */
final class UmapChart {
  static final int WIDTH = 1000;
  static final int HEIGHT = 800;

  private UmapChart() {}

  static void write(float[][] xy, CellLabel label, String title, OutputStream out)
      throws IOException {
    System.setProperty("java.awt.headless", "true"); // executors and CI have no display
    double size = pointSize(xy.length);
    XYLineAndShapeRenderer renderer = label.numeric() ? new RampRenderer(label) : categorical();
    renderer.setDefaultShape(new Ellipse2D.Double(-size / 2, -size / 2, size, size));
    renderer.setAutoPopulateSeriesShape(false);
    renderer.setUseOutlinePaint(false);
    XYSeriesCollection data = new XYSeriesCollection();
    if (label.numeric()) {
      XYSeries s = new XYSeries(label.name(), false, true);
      // NaN (missing) first: they lie under the coloured points.
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < xy.length; i++) {
          if (Double.isNaN(label.number()[i]) == (pass == 0)) {
            s.add(xy[i][0], xy[i][1]);
            ((RampRenderer) renderer).order.add(i);
          }
        }
      }
      data.addSeries(s);
    } else {
      List<Integer> bySize = categoriesLargestFirst(label);
      for (int c : bySize) {
        XYSeries s = new XYSeries(label.categories().get(c), false, true);
        for (int i = 0; i < xy.length; i++) {
          if (label.category()[i] == c) {
            s.add(xy[i][0], xy[i][1]);
          }
        }
        renderer.setSeriesPaint(data.getSeriesCount(), LabelLegends.colour(label, c));
        data.addSeries(s);
      }
    }
    NumberAxis x = new NumberAxis("UMAP 1");
    NumberAxis y = new NumberAxis("UMAP 2");
    for (NumberAxis a : List.of(x, y)) {
      a.setTickLabelsVisible(false);
      a.setTickMarksVisible(false);
      a.setAutoRangeIncludesZero(false);
    }
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    if (label.numeric()) {
      chart.addSubtitle(LabelLegends.ramp(label, label.name()));
    } else {
      LegendTitle legend =
          LabelLegends.categories(
              plot, label, new Ellipse2D.Double(-5, -5, 10, 10), RectangleEdge.RIGHT);
      if (legend != null) {
        chart.addSubtitle(legend);
      }
    }
    ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
  }

  /**
   * Points shrink as cells grow in number, so that a thousand cells (upstream's sample) are clear
   * dots and fifty thousand still show their density.
   */
  static double pointSize(int cells) {
    return Math.max(2.0, Math.min(9.0, 240.0 / Math.sqrt(Math.max(1, cells))));
  }

  static List<Integer> categoriesLargestFirst(CellLabel label) {
    long[] counts = new long[label.categories().size()];
    for (int c : label.category()) {
      counts[c]++;
    }
    List<Integer> order = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      order.add(c);
    }
    order.sort(Comparator.<Integer>comparingLong(c -> -counts[c]).thenComparing(c -> c));
    return order;
  }

  private static XYLineAndShapeRenderer categorical() {
    return new XYLineAndShapeRenderer(false, true);
  }

  /** Each point painted by its cell's value; {@code order} maps the series' items to cells. */
  private static final class RampRenderer extends XYLineAndShapeRenderer {
    private static final long serialVersionUID = 1L;
    private final transient CellLabel label;
    private final transient LabelLegends.Ramp ramp;
    final transient List<Integer> order = new ArrayList<>();

    RampRenderer(CellLabel label) {
      super(false, true);
      this.label = label;
      this.ramp = LabelLegends.Ramp.of(label);
    }

    @Override
    public Paint getItemPaint(int series, int item) {
      return ramp.getPaint(label.number()[order.get(item)]);
    }
  }
}
