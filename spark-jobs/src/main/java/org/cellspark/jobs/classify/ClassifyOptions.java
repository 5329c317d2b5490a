package org.cellspark.jobs.classify;

import java.util.Arrays;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;

/**
 * What `cellspark classify` was asked to train.
 *
 * @param embeddings an embed output folder (its cells/ table) or any Parquet table with an {@code
 *     embedding} column (ML vector or array of numbers)
 * @param label the column holding each cell's class
 * @param group the column whose values never straddle splits (donor, patient); null = split cells
 * @param output the folder to write (model/, predictions/, metrics)
 * @param classifier which MLlib classifier
 * @param fractions train, validation, test fractions of cells (summing to 1)
 * @param minClassSize classes with fewer cells are left out
 * @param rareThreshold classes below this fraction of cells are left out (upstream's
 *     rare_threshold)
 * @param seed the split's and the classifiers' seed
 * @param overwrite replace an existing output folder
 * @param splitGroups a file listing each split's groups (--split-groups); null: groups dealt
 * @param balance the groups' attributes the dealt split balances (--balance); none: not balanced
 * @param stratify the column whose values each split holds in the same shares (--stratify); null:
 *     cells dealt by hash alone
 * @param sample the cells learnt from: filters, at most N cells, at most M per class (--filter,
 *     --max-cells, --max-cells-per-class); all: every labelled cell
 * @param folds cross-validation's folds (each cell tested once, by a model that never trained on
 *     it); 0 or 1: one train / validation / test split
 */
public record ClassifyOptions(
    String embeddings,
    String label,
    String group,
    String output,
    ClassifierKind classifier,
    double[] fractions,
    long minClassSize,
    double rareThreshold,
    long seed,
    boolean overwrite,
    String splitGroups,
    Balance balance,
    String stratify,
    org.cellspark.jobs.common.CellSample sample,
    int folds)
    implements LabelSplits.SplitOptions {

  public static final double[] DEFAULT_FRACTIONS = {0.8, 0.1, 0.1};

  public ClassifyOptions {
    OptionProblems problems = new OptionProblems();
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
    if (fractions.length != 3
        || Arrays.stream(fractions).anyMatch(f -> f < 0)
        || Math.abs(Arrays.stream(fractions).sum() - 1) > 1e-9
        || fractions[0] == 0) {
      problems.add(
          "--split must be three fractions train,validation,test (train > 0) that sum to 1, e.g."
              + " 0.8,0.1,0.1");
    }
    if (minClassSize < 0) {
      problems.add("--min-class-size must be >= 0");
    }
    if (rareThreshold < 0 || rareThreshold >= 1) {
      problems.add("--rare-threshold must be in [0, 1)");
    }
    balance = balance == null ? Balance.none() : balance;
    sample = sample == null ? org.cellspark.jobs.common.CellSample.all() : sample;
    sample.addProblems(problems);
    folds = folds == 1 ? 0 : folds; // upstream's num_crossval_splits=1: one split
    balance.addProblems(problems, group, splitGroups, folds);
    LabelSplits.addFoldsProblems(problems, folds, splitGroups);
    LabelSplits.addStratifyProblems(problems, stratify, group, splitGroups);
    problems.throwIfAny();
  }

  public static ClassifyOptions of(String embeddings, String label, String group, String output) {
    return builder().embeddings(embeddings).label(label).group(group).output(output).build();
  }

  public ClassifyOptions withClassifier(ClassifierKind k) {
    return toBuilder().classifier(k).build();
  }

  public ClassifyOptions withRareClasses(long minCells, double threshold) {
    return toBuilder().minClassSize(minCells).rareThreshold(threshold).build();
  }

  public ClassifyOptions withSplit(double[] f, long s) {
    return toBuilder().fractions(f).seed(s).build();
  }

  public ClassifyOptions withOverwrite(boolean replace) {
    return toBuilder().overwrite(replace).build();
  }

  @Override
  public double[] fractions() {
    return fractions.clone();
  }

  /**
   * A builder with every option at its default (the command line's); {@link Builder#build} checks
   * them all.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.embeddings = embeddings;
    b.label = label;
    b.group = group;
    b.output = output;
    b.classifier = classifier;
    b.fractions = fractions;
    b.minClassSize = minClassSize;
    b.rareThreshold = rareThreshold;
    b.seed = seed;
    b.overwrite = overwrite;
    b.splitGroups = splitGroups;
    b.balance = balance;
    b.stratify = stratify;
    b.sample = sample;
    b.folds = folds;
    return b;
  }

  /** The options by name; unset ones keep their defaults. */
  public static final class Builder {
    private String embeddings;
    private String label;
    private String group;
    private String output;
    private ClassifierKind classifier = ClassifierKind.LOGISTIC;
    private double[] fractions;
    private long minClassSize;
    private double rareThreshold;
    private long seed = CellSelection.DEFAULT_SEED;
    private boolean overwrite;
    private String splitGroups;
    private Balance balance;
    private String stratify;
    private org.cellspark.jobs.common.CellSample sample;
    private int folds;

    private Builder() {}

    public Builder embeddings(String v) {
      embeddings = v;
      return this;
    }

    public Builder label(String v) {
      label = v;
      return this;
    }

    public Builder group(String v) {
      group = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder classifier(ClassifierKind v) {
      classifier = v;
      return this;
    }

    public Builder fractions(double[] v) {
      fractions = v;
      return this;
    }

    public Builder minClassSize(long v) {
      minClassSize = v;
      return this;
    }

    public Builder rareThreshold(double v) {
      rareThreshold = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder splitGroups(String v) {
      splitGroups = v;
      return this;
    }

    public Builder balance(Balance v) {
      balance = v;
      return this;
    }

    public Builder stratify(String v) {
      stratify = v;
      return this;
    }

    public Builder sample(org.cellspark.jobs.common.CellSample v) {
      sample = v;
      return this;
    }

    public Builder folds(int v) {
      folds = v;
      return this;
    }

    public ClassifyOptions build() {
      return new ClassifyOptions(
          embeddings,
          label,
          group,
          output,
          classifier,
          fractions,
          minClassSize,
          rareThreshold,
          seed,
          overwrite,
          splitGroups,
          balance,
          stratify,
          sample,
          folds);
    }
  }
}
