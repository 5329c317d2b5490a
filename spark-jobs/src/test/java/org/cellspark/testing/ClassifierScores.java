package org.cellspark.testing;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Classifier scores worked out by hand from (true, predicted) pairs and (score, class) pairs, to
 * check what the jobs report against: macro-F1 as scikit-learn's {@code f1_score(average="macro")}
 * (over every class that occurs as truth or prediction) and the ROC area as the chance that a
 * positive outscores a negative.
 */
public final class ClassifierScores {
  private ClassifierScores() {}

  /** The share of pairs whose prediction is the truth. */
  public static <T> double accuracy(List<? extends List<T>> pairs) {
    return pairs.stream().filter(p -> Objects.equals(p.get(0), p.get(1))).count()
        / (double) pairs.size();
  }

  /** Macro-F1 of (true, predicted) pairs over the classes occurring as either. */
  public static <T extends Comparable<T>> double macroF1(List<? extends List<T>> pairs) {
    TreeSet<T> classes = new TreeSet<>();
    pairs.forEach(classes::addAll);
    double sum = 0;
    for (T c : classes) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (List<T> p : pairs) {
        boolean truth = p.get(0).equals(c);
        boolean predicted = p.get(1).equals(c);
        tp += truth && predicted ? 1 : 0;
        fp += !truth && predicted ? 1 : 0;
        fn += truth && !predicted ? 1 : 0;
      }
      sum += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    return sum / classes.size();
  }

  /** The ROC area of (score, class 0 or 1) pairs, by counting (ties count a half). */
  public static double mannWhitneyAuc(List<double[]> scoreAndLabel) {
    double wins = 0;
    long pairs = 0;
    for (double[] p : scoreAndLabel) {
      if (p[1] != 1) {
        continue;
      }
      for (double[] n : scoreAndLabel) {
        if (n[1] == 0) {
          wins += p[0] > n[0] ? 1 : p[0] == n[0] ? 0.5 : 0;
          pairs++;
        }
      }
    }
    return wins / pairs;
  }
}
