package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.cellspark.error.Bug;
import org.cellspark.error.Choices;

/**
 * The Spark MLlib classifiers `cellspark classify` trains on embeddings, each with the small grid
 * of settings the validation split chooses from (by macro-F1).
 */
public enum ClassifierKind {
  LOGISTIC("logistic"),
  RANDOM_FOREST("random-forest"),
  MLP("mlp");

  private final String label;

  ClassifierKind(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static ClassifierKind parse(String s) {
    return Choices.parse("--classifier", s, values(), ClassifierKind::label);
  }

  /** One setting of the grid: what it is called in the metrics, and the estimator. */
  record Candidate(String settings, ProbabilisticClassifier<?, ?, ?> estimator) {}

  /** The grid for embeddings of {@code features} dimensions and {@code classes} classes. */
  List<Candidate> candidates(int features, int classes, long seed) {
    List<Candidate> out = new ArrayList<>();
    switch (this) {
      case LOGISTIC -> {
        for (double reg : new double[] {0.0, 1e-3, 1e-2, 1e-1}) {
          out.add(
              new Candidate(
                  String.format(Locale.ROOT, "regParam=%s", reg),
                  new LogisticRegression().setRegParam(reg).setMaxIter(200)));
        }
      }
      case RANDOM_FOREST -> {
        for (int depth : new int[] {5, 10}) {
          out.add(
              new Candidate(
                  "numTrees=100, maxDepth=" + depth,
                  new RandomForestClassifier().setNumTrees(100).setMaxDepth(depth).setSeed(seed)));
        }
      }
      case MLP -> {
        for (int hidden : new int[] {Math.max(32, 2 * classes), 128}) {
          out.add(
              new Candidate(
                  "layers=[" + features + ", " + hidden + ", " + classes + "]",
                  new MultilayerPerceptronClassifier()
                      .setLayers(new int[] {features, hidden, classes})
                      .setMaxIter(200)
                      .setSeed(seed)));
        }
      }
      default -> throw new Bug("no estimator for classifier " + name());
    }
    return out;
  }
}
