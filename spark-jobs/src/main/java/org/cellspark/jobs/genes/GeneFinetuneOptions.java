package org.cellspark.jobs.genes;

import java.io.Serializable;
import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TrainingOptions;

/**
 * What `cellspark finetune-genes` was asked to train. Defaults are upstream Classifier's for a gene
 * classifier (1 epoch, learning rate 5e-5, weight decay 0.001, linear decay after 500 warm-up
 * steps, seed 42) and its example's 5 folds.
 *
 * @param input a token table (cellspark tokenize's output, or a Hugging Face dataset)
 * @param geneClasses the file of genes by class (upstream's gene_class_dict)
 * @param model the Hugging Face checkpoint to start from
 * @param vocabulary the tokens' vocabulary; null = the one the table's summary names
 * @param output the folder to write
 * @param folds the genes are dealt into this many folds
 * @param runFolds train the first N folds only (upstream's num_crossval_splits 1 is 1); 0 = all
 * @param training how each fold trains (its seed also deals the folds and samples the cells;
 *     balanced class weights count the labelled occurrences)
 * @param search settings to search in every fold, a trial per combination or draw, the one best on
 *     the fold's validation genes kept (upstream's n_hyperopt_trials); none: one training a fold
 * @param predictGenes genes of no class for every fold's model to class (names, files, or "all");
 *     empty = none
 * @param filters only cells passing every filter are used (upstream's filter_data)
 * @param maxCells at most this many cells for each part of a fold, sampled with the seed
 *     (upstream's max_ncells); 0 = all
 */
public record GeneFinetuneOptions(
    String input,
    String geneClasses,
    String model,
    String vocabulary,
    String output,
    int folds,
    int runFolds,
    TrainingOptions training,
    SettingsSearch search,
    List<String> predictGenes,
    List<CellSelection.Filter> filters,
    long maxCells,
    boolean overwrite)
    implements Serializable {

  public GeneFinetuneOptions {
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark tokenize's output)");
    problems.requireValue(
        geneClasses, "--gene-classes is required (a .pkl, .json or table of genes by class)");
    problems.requireValue(model, "--model is required (a Hugging Face checkpoint folder)");
    problems.requireValue(output, "--output is required");
    if (folds < 2) {
      problems.add("--folds must be at least 2");
    }
    if (runFolds < 0 || runFolds > folds) {
      problems.add("--run-folds must be between 1 and --folds (0: every fold)");
    }
    training.addProblems(problems);
    training.refuseDataParallel(problems, "finetune-genes");
    search = search == null ? SettingsSearch.none() : search;
    if (folds >= 2 && runFolds >= 0 && runFolds <= folds) {
      int run = foldsToRun(folds, runFolds);
      search.addFoldsProblem(
          problems, run, "--folds " + folds + (runFolds == 0 ? "" : " --run-folds " + runFolds));
    }
    if (maxCells < 0) {
      problems.add("--max-cells must be >= 0");
    }
    filters = filters == null ? List.of() : List.copyOf(filters);
    predictGenes = predictGenes == null ? List.of() : List.copyOf(predictGenes);
    problems.throwIfAny();
  }

  /** The folds that train: {@code runFolds}, or all. */
  public int foldsToRun() {
    return foldsToRun(folds, runFolds);
  }

  private static int foldsToRun(int folds, int runFolds) {
    return runFolds == 0 ? folds : runFolds;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options field by field, from the defaults (1 epoch, as upstream's gene classifier). */
  public static final class Builder extends TrainingOptions.Builder<Builder> {
    private String input;
    private String geneClasses;
    private String model;
    private String vocabulary;
    private String output;
    private int folds = 5;
    private int runFolds;
    private SettingsSearch search = SettingsSearch.none();
    private List<String> predictGenes = List.of();
    private List<CellSelection.Filter> filters = List.of();
    private long maxCells;
    private boolean overwrite;

    private Builder() {
      super(1);
    }

    @Override
    protected Builder self() {
      return this;
    }

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder geneClasses(String v) {
      geneClasses = v;
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

    public Builder folds(int v) {
      folds = v;
      return this;
    }

    public Builder runFolds(int v) {
      runFolds = v;
      return this;
    }

    public Builder search(SettingsSearch v) {
      search = v;
      return this;
    }

    public Builder predictGenes(List<String> v) {
      predictGenes = v;
      return this;
    }

    public Builder filters(List<CellSelection.Filter> v) {
      filters = v;
      return this;
    }

    public Builder maxCells(long v) {
      maxCells = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public GeneFinetuneOptions build() {
      return new GeneFinetuneOptions(
          input,
          geneClasses,
          model,
          vocabulary,
          output,
          folds,
          runFolds,
          training(),
          search,
          predictGenes,
          filters,
          maxCells,
          overwrite);
    }
  }
}
