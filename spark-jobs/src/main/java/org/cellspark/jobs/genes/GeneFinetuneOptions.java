package org.cellspark.jobs.genes;

import java.io.Serializable;
import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.model.Precision;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;

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
 * @param warmupSteps optimizer steps of linear warm-up (at most the run's steps)
 * @param batchTokens padded tokens per batch (cells x longest cell)
 * @param freezeLayers the first N encoder layers (and the embeddings) left untrained
 * @param balanced class weights inversely proportional to the classes' labelled occurrences
 * @param maxGradNorm gradients clipped to this global norm before each step; 0 = not clipped
 * @param dropout one dropout rate everywhere (0 = none); null = the checkpoint's config.json rates
 * @param filters only cells passing every filter are used (upstream's filter_data)
 * @param maxCells at most this many cells for each split of a fold, sampled with the seed
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
    int epochs,
    double learningRate,
    double weightDecay,
    int warmupSteps,
    LearningRateSchedule.Decay decay,
    long batchTokens,
    int freezeLayers,
    boolean balanced,
    double maxGradNorm,
    Precision precision,
    Double dropout,
    List<CellSelection.Filter> filters,
    long maxCells,
    long seed,
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
    if (epochs < 1) {
      problems.add("--epochs must be at least 1");
    }
    if (!(learningRate > 0) || weightDecay < 0) {
      problems.add("--learning-rate must be > 0 and --weight-decay >= 0");
    }
    if (warmupSteps < 0 || freezeLayers < 0 || batchTokens < 1 || maxCells < 0) {
      problems.add(
          "--warmup-steps, --freeze-layers and --max-cells must be >= 0, --batch-tokens >= 1");
    }
    if (!(maxGradNorm >= 0)) {
      problems.add("--max-grad-norm must be >= 0 (0: no clipping)");
    }
    if (precision == Precision.FP16) {
      problems.add(
          "--precision fp16 does not train (fp16 gradients underflow without loss scaling, which"
              + " Cellspark does not do): use bf16 or fp32");
    }
    if (dropout != null && !(dropout >= 0 && dropout < 1)) {
      problems.add("--dropout must be at least 0 and below 1");
    }
    filters = filters == null ? List.of() : List.copyOf(filters);
    problems.throwIfAny();
  }

  /** The folds that train: {@code runFolds}, or all. */
  public int foldsToRun() {
    return runFolds == 0 ? folds : runFolds;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options field by field, from the defaults; every setter returns the builder. */
  public static final class Builder {
    private String input;
    private String geneClasses;
    private String model;
    private String vocabulary;
    private String output;
    private int folds = 5;
    private int runFolds;
    private int epochs = 1;
    private double learningRate = 5e-5;
    private double weightDecay = 0.001;
    private int warmupSteps = 500;
    private LearningRateSchedule.Decay decay = LearningRateSchedule.Decay.LINEAR;
    private long batchTokens = FineTuner.DEFAULT_BATCH_TOKENS;
    private int freezeLayers;
    private boolean balanced;
    private double maxGradNorm = 1.0;
    private Precision precision = Precision.FP32;
    private Double dropout;
    private List<CellSelection.Filter> filters = List.of();
    private long maxCells;
    private long seed = 42;
    private boolean overwrite;

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

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder decay(LearningRateSchedule.Decay v) {
      decay = v;
      return this;
    }

    public Builder batchTokens(long v) {
      batchTokens = v;
      return this;
    }

    public Builder freezeLayers(int v) {
      freezeLayers = v;
      return this;
    }

    public Builder balanced(boolean v) {
      balanced = v;
      return this;
    }

    public Builder maxGradNorm(double v) {
      maxGradNorm = v;
      return this;
    }

    public Builder precision(Precision v) {
      precision = v;
      return this;
    }

    public Builder dropout(Double v) {
      dropout = v;
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

    public Builder seed(long v) {
      seed = v;
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
          epochs,
          learningRate,
          weightDecay,
          warmupSteps,
          decay,
          batchTokens,
          freezeLayers,
          balanced,
          maxGradNorm,
          precision,
          dropout,
          filters,
          maxCells,
          seed,
          overwrite);
    }
  }
}
