package org.cellspark.jobs.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Shape;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;

/**
 * How a label's colours are drawn and explained, the same in every plot: each category's colour (in
 * {@link CellLabel}'s order, missing grey) and a legend listing them, or a number's viridis ramp
 * over the label's finite values and its scale beside the plot.
 */
final class LabelLegends {
  /** Legends with more entries than this are left out: the colours alone say more. */
  static final int MAX_LEGEND_ENTRIES = 60;

  private LabelLegends() {}

  static Color colour(CellLabel label, int category) {
    return label.categories().get(category).equals(CellLabel.MISSING)
        ? Palettes.MISSING
        : Palettes.category(category);
  }

  /**
   * The categories' legend, each entry drawn as {@code shape}, on {@code edge} of the chart; null
   * when there are too many to list.
   */
  static LegendTitle categories(XYPlot plot, CellLabel label, Shape shape, RectangleEdge edge) {
    if (label.categories().size() > MAX_LEGEND_ENTRIES) {
      return null;
    }
    LegendItemCollection items = new LegendItemCollection();
    for (int c = 0; c < label.categories().size(); c++) {
      items.add(
          new LegendItem(label.categories().get(c), null, null, null, shape, colour(label, c)));
    }
    plot.setFixedLegendItems(items);
    LegendTitle legend = new LegendTitle(plot);
    legend.setPosition(edge);
    legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    return legend;
  }

  /** A numeric label's ramp, from its smallest to its largest value, titled {@code title}. */
  static PaintScaleLegend ramp(CellLabel label, String title) {
    Ramp ramp = Ramp.of(label);
    NumberAxis axis = new NumberAxis(title);
    axis.setRange(ramp.getLowerBound(), ramp.getUpperBound());
    return scale(ramp, axis);
  }

  /** A colour scale beside the plot, on its right. */
  static PaintScaleLegend scale(PaintScale scale, NumberAxis axis) {
    PaintScaleLegend legend = new PaintScaleLegend(scale, axis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setStripWidth(16);
    legend.setMargin(40, 10, 40, 10);
    return legend;
  }

  /** The smallest and largest finite values (0 and 1 when there are none). */
  static double[] finiteRange(double[] values) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      if (Double.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return lo > hi ? new double[] {0, 1} : new double[] {lo, hi};
  }

  /** Viridis from a label's smallest to its largest value; missing values grey. */
  record Ramp(double lower, double upper) implements PaintScale {
    static Ramp of(CellLabel label) {
      double[] range = finiteRange(label.number());
      return new Ramp(range[0], range[1]);
    }

    @Override
    public double getLowerBound() {
      return lower;
    }

    @Override
    public double getUpperBound() {
      return upper > lower ? upper : lower + 1;
    }

    @Override
    public Paint getPaint(double value) {
      if (Double.isNaN(value)) {
        return Palettes.MISSING;
      }
      return Palettes.viridis(upper > lower ? (value - lower) / (upper - lower) : 0.5);
    }
  }
}
