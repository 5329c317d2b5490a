package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;

/**
 * What `cellspark classify` was asked to train.
 *
 * @param embeddings an embed output folder (its cells/ table) or any Parquet table with an
 *     {@code embedding} column (ML vector or array of numbers)
 * @param label the column holding each cell's class
 * @param group the column whose values never straddle splits (donor, patient); null = split cells
 * @param output the folder to write (model/, predictions/, metrics)
 * @param classifier which MLlib classifier
 * @param fractions train, validation, test fractions of cells (summing to 1)
 * @param minClassSize classes with fewer cells are left out
 * @param rareThreshold classes below this fraction of cells are left out (upstream's rare_threshold)
 * @param seed the split's and the classifiers' seed
 * @param overwrite replace an existing output folder
 */
public record ClassifyOptions(
    String embeddings, String label, String group, String output, ClassifierKind classifier, double[] fractions,
    long minClassSize, double rareThreshold, long seed, boolean overwrite) {

  public static final double[] DEFAULT_FRACTIONS = {0.8, 0.1, 0.1};

  public ClassifyOptions {
    List<String> problems = new ArrayList<>();
    if (embeddings == null || embeddings.isBlank()) {
      problems.add("--embeddings is required (cellspark embed's output)");
    }
    if (label == null || label.isBlank()) {
      problems.add("--label is required (the column with each cell's class)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required");
    }
    fractions = fractions == null ? DEFAULT_FRACTIONS.clone() : fractions.clone();
    if (fractions.length != 3 || java.util.Arrays.stream(fractions).anyMatch(f -> f < 0)
        || Math.abs(java.util.Arrays.stream(fractions).sum() - 1) > 1e-9 || fractions[0] == 0) {
      problems.add("--split must be three fractions train,validation,test (train > 0) that sum to 1, e.g. 0.8,0.1,0.1");
    }
    if (minClassSize < 0) {
      problems.add("--min-class-size must be >= 0");
    }
    if (rareThreshold < 0 || rareThreshold >= 1) {
      problems.add("--rare-threshold must be in [0, 1)");
    }
    if (!problems.isEmpty()) {
      throw UserException.of("%s", String.join("; ", problems));
    }
  }

  public static ClassifyOptions of(String embeddings, String label, String group, String output) {
    return new ClassifyOptions(embeddings, label, group, output, ClassifierKind.LOGISTIC, null, 0, 0, CellSelection.DEFAULT_SEED, false);
  }

  public ClassifyOptions withClassifier(ClassifierKind k) {
    return new ClassifyOptions(embeddings, label, group, output, k, fractions, minClassSize, rareThreshold, seed, overwrite);
  }

  public ClassifyOptions withRareClasses(long minCells, double threshold) {
    return new ClassifyOptions(embeddings, label, group, output, classifier, fractions, minCells, threshold, seed, overwrite);
  }

  public ClassifyOptions withSplit(double[] f, long s) {
    return new ClassifyOptions(embeddings, label, group, output, classifier, f, minClassSize, rareThreshold, s, overwrite);
  }

  public ClassifyOptions withOverwrite(boolean replace) {
    return new ClassifyOptions(embeddings, label, group, output, classifier, fractions, minClassSize, rareThreshold, seed, replace);
  }

  @Override
  public double[] fractions() {
    return fractions.clone();
  }
}
