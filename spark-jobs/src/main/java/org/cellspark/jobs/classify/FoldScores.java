package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.spark.api.java.JavaSparkContext;
import org.cellspark.jobs.common.StagedOutput;

/**
 * A cross-validation's test scores over its folds (genes' or cells'), as upstream's {@code
 * Classifier.validate} gathers them: each fold's accuracy and macro-F1 (their mean and standard
 * deviation), the confusion matrix summed over the folds' test examples and, for two classes, each
 * fold's ROC curve and area and the mean curve. Writes confusion_matrix.csv/.png and roc.csv/.png.
 */
public final class FoldScores {
  private final List<String> classes;
  private final SummaryStatistics accuracy = new SummaryStatistics();
  private final SummaryStatistics macroF1 = new SummaryStatistics();
  private final SummaryStatistics rocAuc = new SummaryStatistics();
  private final List<RocCurves.Curve> curves = new ArrayList<>();
  private final long[][] confusion;

  public FoldScores(List<String> classes) {
    this.classes = List.copyOf(classes);
    this.confusion = new long[classes.size()][classes.size()];
  }

  /**
   * One fold's test examples: their classes, the predicted ones, the class probabilities, and the
   * fold's accuracy and macro-F1. A fold without test examples adds nothing; its ROC curve is drawn
   * with two classes when both are among its examples.
   */
  public void add(
      JavaSparkContext sc,
      int fold,
      int[] labels,
      int[] predicted,
      float[][] probabilities,
      double foldAccuracy,
      double foldMacroF1) {
    if (labels.length == 0) {
      return;
    }
    long[][] foldConfusion = new long[classes.size()][classes.size()];
    for (int i = 0; i < labels.length; i++) {
      foldConfusion[labels[i]][predicted[i]]++;
    }
    add(
        foldConfusion,
        foldAccuracy,
        foldMacroF1,
        classes.size() == 2 && Arrays.stream(labels).distinct().count() == 2
            ? RocCurves.of(sc, fold, probabilities, labels)
            : null);
  }

  /**
   * One fold's test scores, computed where its examples are: its confusion matrix (in this object's
   * class order), accuracy and macro-F1, and its ROC curve (null: none, as with other than two
   * classes, or one class missing from its examples). A fold without examples adds nothing.
   */
  public void add(
      long[][] foldConfusion, double foldAccuracy, double foldMacroF1, RocCurves.Curve curve) {
    if (Arrays.stream(foldConfusion).flatMapToLong(Arrays::stream).sum() == 0) {
      return;
    }
    accuracy.addValue(foldAccuracy);
    macroF1.addValue(foldMacroF1);
    for (int t = 0; t < confusion.length; t++) {
      for (int p = 0; p < confusion.length; p++) {
        confusion[t][p] += foldConfusion[t][p];
      }
    }
    if (curve != null) {
      curves.add(curve);
      rocAuc.addValue(curve.auc());
    }
  }

  public SummaryStatistics accuracy() {
    return accuracy;
  }

  public SummaryStatistics macroF1() {
    return macroF1;
  }

  public SummaryStatistics rocAuc() {
    return rocAuc;
  }

  public long[][] confusion() {
    return confusion;
  }

  /** The ROC area of two-class folds' mean; NaN without curves. */
  public double meanRocAuc() {
    return rocAuc.getN() == 0 ? Double.NaN : rocAuc.getMean();
  }

  /** A fold's test ROC curve; null when it has none (not two classes among its test examples). */
  public RocCurves.Curve curveOf(int fold) {
    return curves.stream().filter(c -> c.fold() == fold).findFirst().orElse(null);
  }

  /** The summary's test block: folds scored, mean and SD of each score, the mean curve's area. */
  public Map<String, Object> asMap() {
    Map<String, Object> test = new LinkedHashMap<>();
    test.put("folds_scored", macroF1.getN());
    test.put("accuracy_mean", accuracy.getMean());
    test.put("accuracy_sd", sd(accuracy));
    test.put("macro_f1_mean", macroF1.getMean());
    test.put("macro_f1_sd", sd(macroF1));
    if (rocAuc.getN() > 0) {
      test.put("roc_auc_mean", rocAuc.getMean());
      test.put("roc_auc_sd", sd(rocAuc));
      test.put("roc_auc_of_mean_curve", RocCurves.area(RocCurves.mean(curves)));
    }
    return test;
  }

  /**
   * confusion_matrix.csv and .png (the folds' test examples pooled), and roc.csv and .png when
   * there are curves, into the staging folder.
   *
   * @param examples what was scored ("test cells", "test genes' occurrences"), for the titles
   */
  public void write(StagedOutput out, String examples) {
    String[] names = classes.toArray(new String[0]);
    long scored = Arrays.stream(confusion).flatMapToLong(Arrays::stream).sum();
    ConfusionHeatmap.writeFiles(
        out,
        "confusion_matrix",
        confusion,
        names,
        ConfusionHeatmap.title(
            examples + ", all folds", scored, accuracy.getMean(), macroF1.getMean()));
    if (!curves.isEmpty()) {
      RocCurves.writeFiles(out, "roc", curves, examples, names[1]);
    }
  }

  /** The sample standard deviation; 0 for one value (one fold has no spread to report). */
  public static double sd(SummaryStatistics s) {
    return s.getN() < 2 ? 0 : s.getStandardDeviation();
  }
}
