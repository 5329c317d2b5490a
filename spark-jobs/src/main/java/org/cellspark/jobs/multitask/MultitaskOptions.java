package org.cellspark.jobs.multitask;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.train.MultiTaskClassifier;

/**
 * What `cellspark finetune-multitask` was asked to train: one model, a head per task (a cell label
 * column each). Training defaults are finetune's (upstream Classifier's: 10 epochs, learning rate
 * 5e-5, weight decay 0.001, 500 warm-up steps, linear decay); pooling defaults to upstream
 * MTLClassifier's attention pool.
 *
 * @param tasks the label columns, one task each, in order (at least two)
 * @param taskWeights each task's weight in the loss; null = all 1 (upstream's {@code task_weights})
 * @param group the column whose values never straddle splits (donor); null = split cells
 * @param search settings to search, a trial per combination; none: one training
 * @param splitGroups a file listing each split's groups (--split-groups); null: groups dealt
 * @param balance the groups' attributes the dealt split balances (--balance); none: not balanced
 * @param stratify the column whose values each split holds in the same shares (--stratify); null:
 *     cells dealt by hash alone
 */
public record MultitaskOptions(
    String input,
    List<String> tasks,
    double[] taskWeights,
    String group,
    String model,
    String vocabulary,
    String output,
    MultiTaskClassifier.Pool pool,
    TrainingOptions training,
    double[] fractions,
    long minClassSize,
    double rareThreshold,
    boolean overwrite,
    SettingsSearch search,
    String splitGroups,
    org.cellspark.jobs.classify.Balance balance,
    String stratify)
    implements Serializable, org.cellspark.jobs.classify.LabelSplits.SplitOptions {

  public MultitaskOptions {
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark tokenize's output)");
    problems.requireValue(model, "--model is required (a Hugging Face checkpoint folder)");
    problems.requireValue(output, "--output is required");
    tasks = tasks == null ? List.of() : List.copyOf(tasks);
    if (tasks.size() < 2) {
      problems.add(
          "--tasks needs two or more label columns, e.g. --tasks cell_type,disease (for one, use"
              + " cellspark finetune --label)");
    } else if (new HashSet<>(tasks).size() != tasks.size()) {
      problems.add("--tasks names a column twice: " + tasks);
    }
    if (taskWeights == null) {
      taskWeights = new double[tasks.size()];
      Arrays.fill(taskWeights, 1.0);
    } else {
      taskWeights = taskWeights.clone();
      if (taskWeights.length != tasks.size()
          || Arrays.stream(taskWeights).anyMatch(w -> !(w > 0) || Double.isInfinite(w))) {
        problems.add(
            "--task-weights must give one weight above 0 per task ("
                + tasks.size()
                + " tasks: "
                + tasks
                + "), e.g. 1,0.5");
      }
    }
    fractions = TrainingOptions.splitFractions(fractions, problems);
    search = search == null ? SettingsSearch.none() : search;
    balance = balance == null ? org.cellspark.jobs.classify.Balance.none() : balance;
    balance.addProblems(problems, group, splitGroups, 0);
    org.cellspark.jobs.classify.LabelSplits.addStratifyProblems(
        problems, stratify, group, splitGroups);
    training.addProblems(problems);
    training.refuseDataParallelWith(problems, search.size() > 1, "--search");
    if (minClassSize < 0 || rareThreshold < 0 || rareThreshold >= 1) {
      problems.add("--min-class-size must be >= 0 and --rare-threshold in [0, 1)");
    }
    problems.throwIfAny();
  }

  /** The seed of the split, as of the training. */
  @Override
  public long seed() {
    return training.seed();
  }

  @Override
  public double[] taskWeights() {
    return taskWeights.clone();
  }

  @Override
  public double[] fractions() {
    return fractions.clone();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The same options with {@code column} as the group column. */
  public MultitaskOptions withGroup(String column) {
    return new MultitaskOptions(
        input,
        tasks,
        taskWeights,
        column,
        model,
        vocabulary,
        output,
        pool,
        training,
        fractions,
        minClassSize,
        rareThreshold,
        overwrite,
        search,
        splitGroups,
        balance,
        stratify);
  }

  /** Options by name, with the command line's defaults. */
  public static final class Builder extends TrainingOptions.Builder<Builder> {
    private String input;
    private List<String> tasks;
    private double[] taskWeights;
    private String group;
    private String model;
    private String vocabulary;
    private String output;
    private MultiTaskClassifier.Pool pool = MultiTaskClassifier.Pool.ATTENTION;
    private double[] fractions;
    private long minClassSize = 10;
    private double rareThreshold;
    private boolean overwrite;
    private SettingsSearch search;
    private String splitGroups;
    private org.cellspark.jobs.classify.Balance balance;
    private String stratify;

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

    public Builder tasks(List<String> v) {
      tasks = v;
      return this;
    }

    public Builder taskWeights(double[] v) {
      taskWeights = v;
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

    public Builder pool(MultiTaskClassifier.Pool v) {
      pool = v;
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

    public MultitaskOptions build() {
      return new MultitaskOptions(
          input,
          tasks,
          taskWeights,
          group,
          model,
          vocabulary,
          output,
          pool,
          training(),
          fractions,
          minClassSize,
          rareThreshold,
          overwrite,
          search,
          splitGroups,
          balance,
          stratify);
    }
  }
}
