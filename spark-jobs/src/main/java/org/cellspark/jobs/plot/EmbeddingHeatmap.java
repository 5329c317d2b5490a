package org.cellspark.jobs.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.Align;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A heatmap of cell embeddings as a PNG: one row per cell, one column per dimension (both in {@link
 * HeatmapLayout}'s order), each value on the magma ramp, and left of it a colour bar of the cells'
 * label. The matrix, up to 2,000 x 1,152 values, is drawn as one image, one pixel per value, that
 * JFreeChart scales into its plot area (a shape per value would be millions of shapes); the frame,
 * titles and legends are JFreeChart's.
 */
final class EmbeddingHeatmap {
  static final int WIDTH = 1200;
  static final int HEIGHT = 1000;

  private EmbeddingHeatmap() {}

  /**
   * @param scaled the values in [0, 1], rows and columns already in drawing order
   * @param label the cells' label, in the same row order
   */
  static void write(double[][] scaled, CellLabel label, String title, OutputStream out)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = image(scaled, label);
    NumberAxis x = new NumberAxis("embedding dimensions (by their weight in the first component)");
    NumberAxis y = new NumberAxis("cells (by " + label.name() + ")");
    for (NumberAxis a : new NumberAxis[] {x, y}) {
      a.setTickLabelsVisible(false);
      a.setTickMarksVisible(false);
    }
    XYPlot plot =
        new XYPlot(new XYSeriesCollection(), x, y, new XYLineAndShapeRenderer(false, false));
    plot.setBackgroundImage(image);
    plot.setBackgroundImageAlignment(Align.FIT);
    plot.setBackgroundImageAlpha(1f);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    plot.setOutlineVisible(false);
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    // More cells than rows of pixels: blend neighbouring rows rather than drop some; fewer: keep
    // each cell's row sharp.
    RenderingHints hints = chart.getRenderingHints();
    hints.put(
        RenderingHints.KEY_INTERPOLATION,
        scaled.length > HEIGHT
            ? RenderingHints.VALUE_INTERPOLATION_BILINEAR
            : RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
    chart.setRenderingHints(hints);
    chart.addSubtitle(LabelLegends.scale(new Magma(), new NumberAxis("scaled value")));
    if (label.numeric()) {
      chart.addSubtitle(LabelLegends.ramp(label, label.name() + " (colour bar)"));
    } else {
      LegendTitle legend =
          LabelLegends.categories(
              plot, label, new Rectangle2D.Double(-5, -5, 10, 10), RectangleEdge.TOP);
      if (legend != null) {
        chart.addSubtitle(legend);
      }
    }
    ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
  }

  /** Image columns of the label's colour bar, and of the white gap after it. */
  static final int BAR = 24;

  static final int GAP = 8;

  /**
   * Image columns per dimension: at least 480 columns for the matrix, so that the bar keeps to a
   * few percent of the width for a 16-dimensional toy model as for a 1,152-dimensional V2-316M.
   */
  static int columnsPerDimension(int dimensions) {
    return Math.max(1, (int) Math.ceil(480.0 / Math.max(1, dimensions)));
  }

  static BufferedImage image(double[][] scaled, CellLabel label) {
    int n = scaled.length;
    int d = n == 0 ? 0 : scaled[0].length;
    int m = columnsPerDimension(d);
    BufferedImage image =
        new BufferedImage(BAR + GAP + d * m, Math.max(1, n), BufferedImage.TYPE_INT_RGB);
    LabelLegends.Ramp ramp = label.numeric() ? LabelLegends.Ramp.of(label) : null;
    for (int i = 0; i < n; i++) {
      Color labelColour =
          label.numeric()
              ? (Color) ramp.getPaint(label.number()[i])
              : LabelLegends.colour(label, label.category()[i]);
      for (int k = 0; k < BAR; k++) {
        image.setRGB(k, i, labelColour.getRGB());
      }
      for (int k = 0; k < GAP; k++) {
        image.setRGB(BAR + k, i, Color.WHITE.getRGB());
      }
      for (int j = 0; j < d; j++) {
        int rgb = Palettes.magma(scaled[i][j]).getRGB();
        for (int k = 0; k < m; k++) {
          image.setRGB(BAR + GAP + j * m + k, i, rgb);
        }
      }
    }
    return image;
  }

  /** Magma over [0, 1]. */
  private static final class Magma implements PaintScale {
    @Override
    public double getLowerBound() {
      return 0;
    }

    @Override
    public double getUpperBound() {
      return 1;
    }

    @Override
    public java.awt.Paint getPaint(double value) {
      return Palettes.magma(value);
    }
  }
}
