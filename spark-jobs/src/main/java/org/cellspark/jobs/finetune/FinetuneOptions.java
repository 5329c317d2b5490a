package org.cellspark.jobs.finetune;

import java.io.Serializable;
import java.util.Arrays;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.model.Precision;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;

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
 * @param epochs passes over the training cells
 * @param warmupSteps optimizer steps of linear warm-up (at most the run's steps)
 * @param batchTokens padded tokens per batch (cells x longest cell)
 * @param freezeLayers the first N encoder layers (and the embeddings) left untrained
 * @param balanced class weights inversely proportional to class sizes (else all 1)
 * @param patience epochs without a better validation macro-F1 before stopping; 0 = run them all
 * @param maxGradNorm gradients clipped to this global norm before each step, as the Trainer's
 *     max_grad_norm (1.0); 0 = not clipped
 * @param precision fp32, or bf16 mixed precision (GPU executors with bf16: A100, H100, L4 on)
 * @param dropout one dropout rate for every place the model has one (0 = none); null = the rates
 *     the checkpoint's config.json gives, as upstream trains
 */
public record FinetuneOptions(
    String input,
    String label,
    String group,
    String model,
    String vocabulary,
    String output,
    Pooling pooling,
    int epochs,
    double learningRate,
    double weightDecay,
    int warmupSteps,
    LearningRateSchedule.Decay decay,
    long batchTokens,
    int freezeLayers,
    boolean balanced,
    int patience,
    double maxGradNorm,
    Precision precision,
    Double dropout,
    double[] fractions,
    long minClassSize,
    double rareThreshold,
    long seed,
    boolean overwrite)
    implements Serializable {

  public FinetuneOptions {
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark tokenize's output)");
    problems.requireValue(label, "--label is required (the column with each cell's class)");
    problems.requireValue(model, "--model is required (a Hugging Face checkpoint folder)");
    problems.requireValue(output, "--output is required");
    fractions = fractions == null ? new double[] {0.8, 0.1, 0.1} : fractions.clone();
    if (fractions.length != 3
        || Arrays.stream(fractions).anyMatch(f -> f < 0)
        || Math.abs(Arrays.stream(fractions).sum() - 1) > 1e-9
        || fractions[0] == 0
        || fractions[1] == 0) {
      problems.add(
          "--split must be three fractions train,validation,test (train and validation > 0) that"
              + " sum to 1, e.g. 0.8,0.1,0.1");
    }
    if (epochs < 1) {
      problems.add("--epochs must be at least 1");
    }
    if (!(learningRate > 0) || weightDecay < 0) {
      problems.add("--learning-rate must be > 0 and --weight-decay >= 0");
    }
    if (warmupSteps < 0 || freezeLayers < 0 || patience < 0 || batchTokens < 1) {
      problems.add(
          "--warmup-steps, --freeze-layers and --patience must be >= 0, --batch-tokens >= 1");
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
    if (minClassSize < 0 || rareThreshold < 0 || rareThreshold >= 1) {
      problems.add("--min-class-size must be >= 0 and --rare-threshold in [0, 1)");
    }
    problems.throwIfAny();
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
        .epochs(epochs)
        .learningRate(learningRate)
        .weightDecay(weightDecay)
        .warmupSteps(warmupSteps)
        .decay(decay)
        .batchTokens(batchTokens)
        .freezeLayers(freezeLayers)
        .balanced(balanced)
        .patience(patience)
        .maxGradNorm(maxGradNorm)
        .precision(precision)
        .dropout(dropout)
        .fractions(fractions)
        .minClassSize(minClassSize)
        .rareThreshold(rareThreshold)
        .seed(seed)
        .overwrite(overwrite);
  }

  /** Options by name, with the command line's defaults. */
  public static final class Builder {
    private String input;
    private String label;
    private String group;
    private String model;
    private String vocabulary;
    private String output;
    private Pooling pooling = Pooling.MEAN;
    private int epochs = 10;
    private double learningRate = 5e-5;
    private double weightDecay = 0.001;
    private int warmupSteps = 500;
    private LearningRateSchedule.Decay decay = LearningRateSchedule.Decay.LINEAR;
    private long batchTokens = FineTuner.DEFAULT_BATCH_TOKENS;
    private int freezeLayers;
    private boolean balanced;
    private int patience;
    private double maxGradNorm = 1.0;
    private Precision precision = Precision.FP32;
    private Double dropout;
    private double[] fractions;
    private long minClassSize = 10;
    private double rareThreshold;
    private long seed = CellSelection.DEFAULT_SEED;
    private boolean overwrite;

    private Builder() {}

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

    public Builder patience(int v) {
      patience = v;
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

    public FinetuneOptions build() {
      return new FinetuneOptions(
          input,
          label,
          group,
          model,
          vocabulary,
          output,
          pooling,
          epochs,
          learningRate,
          weightDecay,
          warmupSteps,
          decay,
          batchTokens,
          freezeLayers,
          balanced,
          patience,
          maxGradNorm,
          precision,
          dropout,
          fractions,
          minClassSize,
          rareThreshold,
          seed,
          overwrite);
    }
  }
}
