package org.cellspark.jobs.finetune;

import java.io.Serializable;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.OptionProblems;

/**
 * What `cellspark finetune` was asked to train. Defaults are upstream Classifier's where it has one
 * (10 epochs, learning rate 5e-5, weight decay 0.001, linear decay after 500 warm-up steps, the 0.8
 * / 0.1 / 0.1 split, seed 42).
 *
 * @param input a token table (cellspark tokenize's output) with the label column
 * @param label the column holding each cell's class
 * @param group the column whose values never straddle splits (donor); null = split cells
 * @param model the Hugging Face checkpoint to start from
 * @param vocabulary the tokens' vocabulary; null = the one the table's summary names
 * @param output the folder to write (model/, predictions/, metrics)
 * @param pooling the head's input: the mean of the gene tokens, or {@code <cls>} (V2 models)
 * @param training how to train (its seed also deals the splits)
 * @param search settings to search, a trial per combination; none: one training
 * @param folds cross-validation's folds (each cell tested once, by a model that never trained on
 *     it); 0 or 1: one train / validation / test split
 * @param splitGroups a file listing each split's groups (--split-groups); null: groups dealt
 * @param balance the groups' attributes the dealt split balances (--balance); none: not balanced
 * @param stratify the column whose values each split (or fold) holds in the same shares
 *     (--stratify); null: cells dealt by hash alone
 * @param sample the cells learnt from: filters, at most N cells, at most M per class (--filter,
 *     --max-cells, --max-cells-per-class); all: every labelled cell
 */
public record FinetuneOptions(
    String input,
    String label,
    String group,
    String model,
    String vocabulary,
    String output,
    Pooling pooling,
    TrainingOptions training,
    double[] fractions,
    long minClassSize,
    double rareThreshold,
    boolean overwrite,
    SettingsSearch search,
    int folds,
    String splitGroups,
    org.cellspark.jobs.classify.Balance balance,
    String stratify,
    org.cellspark.jobs.common.CellSample sample)
    implements Serializable, org.cellspark.jobs.classify.LabelSplits.SplitOptions {

  public FinetuneOptions {
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark tokenize's output)");
    problems.requireValue(label, "--label is required (the column with each cell's class)");
    problems.requireValue(model, "--model is required (a Hugging Face checkpoint folder)");
    problems.requireValue(output, "--output is required");
    fractions = TrainingOptions.splitFractions(fractions, problems);
    search = search == null ? SettingsSearch.none() : search;
    folds = folds == 1 ? 0 : folds; // upstream's num_crossval_splits=1: one split
    training.addProblems(problems);
    training.refuseDataParallelWith(
        problems, folds > 0 || search.size() > 1, "--folds or --search");
    sample = sample == null ? org.cellspark.jobs.common.CellSample.all() : sample;
    sample.addProblems(problems);
    if (minClassSize < 0 || rareThreshold < 0 || rareThreshold >= 1) {
      problems.add("--min-class-size must be >= 0 and --rare-threshold in [0, 1)");
    }
    balance = balance == null ? org.cellspark.jobs.classify.Balance.none() : balance;
    balance.addProblems(problems, group, splitGroups, folds);
    org.cellspark.jobs.classify.LabelSplits.addStratifyProblems(
        problems, stratify, group, splitGroups);
    if (org.cellspark.jobs.classify.LabelSplits.addFoldsProblems(problems, folds, splitGroups)
        && folds > 0) {
      search.addFoldsProblem(problems, folds, "--folds " + folds);
    }
    problems.throwIfAny();
  }

  /** The seed of the split, as of the training. */
  @Override
  public long seed() {
    return training.seed();
  }

  @Override
  public double[] fractions() {
    return fractions.clone();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return builder()
        .input(input)
        .label(label)
        .group(group)
        .model(model)
        .vocabulary(vocabulary)
        .output(output)
        .pooling(pooling)
        .training(training)
        .fractions(fractions)
        .minClassSize(minClassSize)
        .rareThreshold(rareThreshold)
        .overwrite(overwrite)
        .search(search)
        .folds(folds)
        .splitGroups(splitGroups)
        .balance(balance)
        .stratify(stratify)
        .sample(sample);
  }

  /**
   * Options by name, with the command line's defaults (10 epochs, as upstream's cell classifier).
   */
  public static final class Builder extends TrainingOptions.Builder<Builder> {
    private String input;
    private String label;
    private String group;
    private String model;
    private String vocabulary;
    private String output;
    private Pooling pooling = Pooling.MEAN;
    private double[] fractions;
    private long minClassSize = 10;
    private double rareThreshold;
    private boolean overwrite;
    private SettingsSearch search;
    private int folds;
    private String splitGroups;
    private org.cellspark.jobs.classify.Balance balance;
    private String stratify;
    private org.cellspark.jobs.common.CellSample sample;

    private Builder() {
      super(10);
    }

    @Override
    protected Builder self() {
      return this;
    }

    public Builder input(String v) {
      input = v;
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

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder vocabulary(String v) {
      vocabulary = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder pooling(Pooling v) {
      pooling = v;
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

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder search(SettingsSearch v) {
      search = v;
      return this;
    }

    public Builder folds(int v) {
      folds = v;
      return this;
    }

    public Builder splitGroups(String v) {
      splitGroups = v;
      return this;
    }

    public Builder balance(org.cellspark.jobs.classify.Balance v) {
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

    public FinetuneOptions build() {
      return new FinetuneOptions(
          input,
          label,
          group,
          model,
          vocabulary,
          output,
          pooling,
          training(),
          fractions,
          minClassSize,
          rareThreshold,
          overwrite,
          search,
          folds,
          splitGroups,
          balance,
          stratify,
          sample);
    }
  }
}
