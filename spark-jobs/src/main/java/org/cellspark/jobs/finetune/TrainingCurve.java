package org.cellspark.jobs.finetune;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.train.FineTuner;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The epochs of a training: as rows for a job's summary, and as training.png (training and
 * validation loss and the validation metric, macro-F1 or pretraining's masked-gene accuracy, per
 * epoch; JFreeChart).
 */
public final class TrainingCurve {
  private TrainingCurve() {}

  /**
   * A training's summary entries: the epochs run, the one kept, after how many it resumed, every
   * epoch's row ({@link #rows}), and for a data-parallel training each worker's seconds in the
   * gradients' sums, by rank, to a tenth of a second (a worker that spent much longer there than
   * the others waited for them: their batches cost more, or their devices are slower); a job adds
   * its own.
   */
  public static Map<String, Object> summary(
      List<FineTuner.Epoch> epochs,
      int bestEpoch,
      int resumedAfter,
      String metricKey,
      double[] gradientSeconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs_run", epochs.size());
    m.put("best_epoch", bestEpoch);
    m.put("resumed_after_epoch", resumedAfter);
    m.put("epochs", rows(epochs, metricKey));
    if (gradientSeconds.length > 1) {
      List<Double> seconds = new ArrayList<>();
      for (double s : gradientSeconds) {
        seconds.add(Math.round(s * 10) / 10.0);
      }
      m.put("gradient_sum_seconds", seconds);
    }
    return m;
  }

  /** One map an epoch: its number, losses and the metric under {@code metricKey}. */
  public static List<Map<String, Object>> rows(List<FineTuner.Epoch> epochs, String metricKey) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FineTuner.Epoch e : epochs) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("epoch", e.epoch());
      one.put("train_loss", e.trainLoss());
      one.put("validation_loss", e.validationLoss());
      one.put(metricKey, e.validationMetric());
      out.add(one);
    }
    return out;
  }

  /**
   * training.csv: a line an epoch, its losses and its validation metric under {@code metricKey}.
   */
  public static String csv(List<FineTuner.Epoch> epochs, String metricKey) {
    StringBuilder csv = new StringBuilder("epoch,train_loss,validation_loss," + metricKey + "\n");
    for (FineTuner.Epoch e : epochs) {
      csv.append(
          String.format(
              Locale.ROOT,
              "%d,%.6f,%.6f,%.6f%n",
              e.epoch(),
              e.trainLoss(),
              e.validationLoss(),
              e.validationMetric()));
    }
    return csv.toString();
  }

  /**
   * training.csv of a cross-validation: {@link #csv}'s lines, each led by its fold.
   *
   * @param byFold each fold's epochs, by fold number (from 1)
   */
  public static String csvByFold(Map<Integer, List<FineTuner.Epoch>> byFold, String metricKey) {
    StringBuilder csv = new StringBuilder("fold,");
    csv.append(csv(List.of(), metricKey));
    byFold.forEach(
        (fold, epochs) ->
            csv(epochs, metricKey)
                .lines()
                .skip(1)
                .forEach(line -> csv.append(fold).append(',').append(line).append('\n')));
    return csv.toString();
  }

  /**
   * @param title the chart's title
   * @param metric what the epochs' validation metric is
   */
  public static void write(
      List<FineTuner.Epoch> epochs, String title, String metric, OutputStream out)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeries train = new XYSeries("training loss");
    XYSeries validation = new XYSeries("validation loss");
    XYSeries f1 = new XYSeries("validation " + metric);
    for (FineTuner.Epoch e : epochs) {
      train.add(e.epoch(), e.trainLoss());
      validation.add(e.epoch(), e.validationLoss());
      f1.add(e.epoch(), e.validationMetric());
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(train);
    data.addSeries(validation);
    data.addSeries(f1);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, "epoch", "loss / " + metric, data, PlotOrientation.VERTICAL, true, false, false);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.writeChartAsPNG(out, chart, 720, 420);
  }
}
