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
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The demo report's plots, drawn with JFreeChart into PNG files. */
final class DemoCharts {
  private DemoCharts() {}

  /**
   * Cells in the plane of the embeddings' first two principal components, one colour per cell type.
   */
  static void embeddingScatter(Map<String, List<double[]>> pointsByType, Path png)
      throws IOException {
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
            "PC 1",
            "PC 2",
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

  /** Genes by their mean shift toward the goal state (stats goal-state-shift), largest first. */
  static void shiftBars(List<DemoResult.GeneShift> shifts, String goal, Path png)
      throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (DemoResult.GeneShift s : shifts) {
      data.addValue(s.shiftToGoal(), "shift toward " + goal, s.gene());
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Deleting each gene: mean shift toward " + goal,
            "gene deleted",
            "cosine shift toward the goal state",
            data,
            PlotOrientation.HORIZONTAL,
            false,
            false,
            false);
    chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
    chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 720, 60 + 40 * Math.max(1, shifts.size()));
  }
}
