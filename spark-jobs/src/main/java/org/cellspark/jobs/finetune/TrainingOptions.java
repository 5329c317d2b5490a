package org.cellspark.jobs.finetune;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.model.BertConfig;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;

/**
 * How a fine-tune trains, the same for a cell classifier ({@code finetune}) and a gene classifier
 * ({@code finetune-genes}); upstream Classifier's defaults but the epochs, which differ by kind.
 *
 * @param warmupSteps optimizer steps of linear warm-up (at most the run's steps)
 * @param batchTokens padded tokens per batch (cells x longest cell)
 * @param freezeLayers the first N encoder layers (and the embeddings) left untrained
 * @param balanced class weights inversely proportional to the classes' sizes (else all 1)
 * @param patience epochs without a better validation macro-F1 before stopping; 0 = run them all
 * @param maxGradNorm gradients clipped to this global norm before each step, as the Trainer's
 *     max_grad_norm (1.0); 0 = not clipped
 * @param precision fp32, or bf16 mixed precision (GPU executors with bf16: A100, H100, L4 on)
 * @param dropout one dropout rate for every place the model has one (0 = none); null = the rates
 *     the checkpoint's config.json gives, as upstream trains
 * @param seed the batch order, dropout masks and head's start (and the job's splits or folds)
 * @param checkpointMinutes within an epoch, the training state is saved this often too (0: at the
 *     ends of epochs only); not part of what a resumed run must match
 * @param gradientAccumulation batches whose gradients add up before each optimizer step (the
 *     Trainer's gradient_accumulation_steps)
 * @param dataParallel executors training one model at once, each a copy computing its share of
 *     every step's batches, their gradients summed (1: one task trains); N of them with
 *     accumulation A train as one with N x A
 * @param lora LoRA adapters on the query and value projections train instead of the checkpoint's
 *     encoder weights (upstream's quantize, without the 4-bit weights); null: the whole encoder
 */
public record TrainingOptions(
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
    long seed,
    double checkpointMinutes,
    int gradientAccumulation,
    int dataParallel,
    LoraAdapters.Settings lora)
    implements Serializable {

  /** Data-parallel workers at most: one training's tasks must all run at once. */
  public static final int MAX_DATA_PARALLEL = 1024;

  /** Adds what is wrong with these values to a job's problems (reported all at once). */
  public void addProblems(OptionProblems problems) {
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
    if (decay == LearningRateSchedule.Decay.POLYNOMIAL
        && !(learningRate > LearningRateSchedule.POLYNOMIAL_END)) {
      problems.add(
          "--schedule polynomial decays to 1e-7 (the Trainer's lr_end): --learning-rate must be"
              + " above it");
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
    if (gradientAccumulation < 1) {
      problems.add("--gradient-accumulation-steps must be at least 1");
    }
    if (dataParallel < 1 || dataParallel > MAX_DATA_PARALLEL) {
      problems.add("--data-parallel must be 1 to " + MAX_DATA_PARALLEL + " executors");
    }
    if (!(checkpointMinutes >= 0)) {
      problems.add("--checkpoint-minutes must be >= 0 (0: at the ends of epochs only)");
    }
    if (lora != null) {
      if (lora.rank() < 1) {
        problems.add("--lora-rank must be at least 1");
      }
      if (!(lora.alpha() > 0)) {
        problems.add("--lora-alpha must be > 0");
      }
      if (!(lora.dropout() >= 0 && lora.dropout() < 1)) {
        problems.add("--lora-dropout must be at least 0 and below 1");
      }
    }
  }

  /** Refuses what the model's shape does not allow: a LoRA rank above its hidden size. */
  public void checkAgainst(BertConfig config) {
    if (lora != null) {
      lora.checkFits(config);
    }
  }

  /** For pretraining, which trains the whole model: LoRA refused. */
  public void refuseLora(OptionProblems problems) {
    if (lora != null) {
      problems.add(
          "--lora fine-tunes adapters on a trained model; pretrain trains the whole model: leave"
              + " --lora out, or fine-tune the pretrained model with it");
    }
  }

  /**
   * The encoder to train, from the checkpoint at {@code location} on {@code device}: in this
   * precision, with LoRA adapters (their start drawn from the seed) when asked for.
   */
  public TrainableBert encoder(Path location, ai.djl.Device device) {
    TrainableBert encoder = TrainableBert.load(location, device, precision);
    if (lora != null) {
      try {
        encoder.addAdapters(lora, seed);
      } catch (RuntimeException e) {
        encoder.close();
        throw e;
      }
    }
    return encoder;
  }

  /** For the commands whose trainings each run in one task: data parallelism refused. */
  public void refuseDataParallel(OptionProblems problems, String command) {
    if (dataParallel != 1) {
      problems.add(
          command
              + " trains each model in one task; --data-parallel (one model on several executors)"
              + " is pretrain's, finetune's and finetune-multitask's");
    }
  }

  /**
   * Data parallelism refused where a job trains several models ({@code several}: given {@code
   * options}): each is a task of its own, and they run at once on several executors already.
   */
  public void refuseDataParallelWith(OptionProblems problems, boolean several, String options) {
    if (dataParallel > 1 && several) {
      problems.add(
          "--data-parallel trains one model on several executors; with "
              + options
              + " each training is a task of its own, and they run at once on several executors"
              + " already: give one of them");
    }
  }

  /**
   * A fine-tune's --split (train, validation, test; 0.8 / 0.1 / 0.1 when null), checked: training
   * needs cells to train on and to validate on.
   */
  public static double[] splitFractions(double[] fractions, OptionProblems problems) {
    double[] f = fractions == null ? new double[] {0.8, 0.1, 0.1} : fractions.clone();
    if (f.length != 3
        || Arrays.stream(f).anyMatch(x -> x < 0)
        || Math.abs(Arrays.stream(f).sum() - 1) > 1e-9
        || f[0] == 0
        || f[1] == 0) {
      problems.add(
          "--split must be three fractions train,validation,test (train and validation > 0) that"
              + " sum to 1, e.g. 0.8,0.1,0.1");
    }
    return f;
  }

  /**
   * The dropout rates to train with: --dropout everywhere in the model, else the checkpoint's
   * config; and --lora-dropout on the adapters' input.
   */
  public DropoutRates dropoutRates(Path configFile) {
    DropoutRates model = dropout == null ? DropoutRates.read(configFile) : DropoutRates.of(dropout);
    return lora == null ? model : model.withAdapters(lora.dropout());
  }

  /**
   * The settings the training loop takes, for training cells of these lengths (warm-up as a
   * fraction of the run's steps).
   */
  public FineTuner.Settings settings(int[] lengths, float[] classWeights, DropoutRates rates) {
    int batches = LengthBatcher.byLength(lengths, batchTokens).size();
    int steps = epochs * FineTuner.stepsPerEpoch(batches, gradientAccumulation * dataParallel);
    return FineTuner.Settings.builder(classWeights)
        .epochs(epochs)
        .learningRate(learningRate)
        .weightDecay(weightDecay)
        .warmupFraction(steps == 0 ? 0 : Math.min(1.0, (double) warmupSteps / steps))
        .decay(decay)
        .batchTokens(batchTokens)
        .freezeLayers(freezeLayers)
        .patience(patience)
        .dropout(rates)
        .maxGradNorm(maxGradNorm)
        .seed(seed)
        .accumulate(gradientAccumulation)
        .checkpointEvery(
            checkpointMinutes == 0
                ? Duration.ZERO
                : Duration.ofNanos(Math.max(1, Math.round(checkpointMinutes * 60e9))))
        .build();
  }

  /** These options into a job summary's options, in a fixed order (the map is fingerprinted). */
  public void describe(Map<String, Object> m, DropoutRates rates) {
    m.put("epochs", epochs);
    m.put("learning_rate", learningRate);
    m.put("weight_decay", weightDecay);
    m.put("warmup_steps", warmupSteps);
    m.put("schedule", decay.name().toLowerCase(Locale.ROOT));
    m.put("batch_tokens", batchTokens);
    m.put("gradient_accumulation_steps", gradientAccumulation);
    if (dataParallel > 1) { // only then, so that other runs' fingerprints stay as they were
      m.put("data_parallel", dataParallel);
    }
    m.put("freeze_layers", freezeLayers);
    m.put("class_weights", balanced ? "balanced" : "none");
    m.put("patience", patience);
    m.put("max_grad_norm", maxGradNorm);
    m.put("precision", precision.name().toLowerCase(Locale.ROOT));
    Map<String, Object> r = new java.util.LinkedHashMap<>();
    r.put("hidden", rates.hidden());
    r.put("attention", rates.attention());
    r.put("classifier", rates.classifier());
    r.put("from", dropout == null ? "config.json" : "--dropout");
    m.put("dropout", r);
    if (lora != null) { // only then, so that other runs' fingerprints stay as they were
      Map<String, Object> l = new java.util.LinkedHashMap<>();
      l.put("rank", lora.rank());
      l.put("alpha", lora.alpha());
      l.put("dropout", lora.dropout());
      l.put("targets", LoraAdapters.TARGETS);
      m.put("lora", l);
    }
  }

  /**
   * A job's options builder with the training options' setters, defined once for both kinds ({@code
   * B} is the builder itself, so the setters chain).
   */
  public abstract static class Builder<B extends Builder<B>> {
    private int epochs;
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
    private long seed = CellSelection.DEFAULT_SEED;
    private double checkpointMinutes = FineTuner.DEFAULT_CHECKPOINT_EVERY.toMinutes();
    private int gradientAccumulation = 1;
    private int dataParallel = 1;
    private LoraAdapters.Settings lora;

    /**
     * @param epochs the kind's default (upstream: 10 for cells, 1 for genes)
     */
    protected Builder(int epochs) {
      this.epochs = epochs;
    }

    protected abstract B self();

    /** The training options as they stand. */
    protected TrainingOptions training() {
      return new TrainingOptions(
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
          seed,
          checkpointMinutes,
          gradientAccumulation,
          dataParallel,
          lora);
    }

    /** Every training option from {@code t}. */
    public B training(TrainingOptions t) {
      return epochs(t.epochs())
          .learningRate(t.learningRate())
          .weightDecay(t.weightDecay())
          .warmupSteps(t.warmupSteps())
          .decay(t.decay())
          .batchTokens(t.batchTokens())
          .freezeLayers(t.freezeLayers())
          .balanced(t.balanced())
          .patience(t.patience())
          .maxGradNorm(t.maxGradNorm())
          .precision(t.precision())
          .dropout(t.dropout())
          .seed(t.seed())
          .checkpointMinutes(t.checkpointMinutes())
          .gradientAccumulation(t.gradientAccumulation())
          .dataParallel(t.dataParallel())
          .lora(t.lora());
    }

    public B epochs(int v) {
      epochs = v;
      return self();
    }

    public B learningRate(double v) {
      learningRate = v;
      return self();
    }

    public B weightDecay(double v) {
      weightDecay = v;
      return self();
    }

    public B warmupSteps(int v) {
      warmupSteps = v;
      return self();
    }

    public B decay(LearningRateSchedule.Decay v) {
      decay = v;
      return self();
    }

    public B batchTokens(long v) {
      batchTokens = v;
      return self();
    }

    public B freezeLayers(int v) {
      freezeLayers = v;
      return self();
    }

    public B balanced(boolean v) {
      balanced = v;
      return self();
    }

    public B patience(int v) {
      patience = v;
      return self();
    }

    public B maxGradNorm(double v) {
      maxGradNorm = v;
      return self();
    }

    public B precision(Precision v) {
      precision = v;
      return self();
    }

    public B dropout(Double v) {
      dropout = v;
      return self();
    }

    public B seed(long v) {
      seed = v;
      return self();
    }

    public B checkpointMinutes(double v) {
      checkpointMinutes = v;
      return self();
    }

    public B gradientAccumulation(int v) {
      gradientAccumulation = v;
      return self();
    }

    public B dataParallel(int v) {
      dataParallel = v;
      return self();
    }

    /** LoRA adapters' settings; null (the default) trains the whole encoder. */
    public B lora(LoraAdapters.Settings v) {
      lora = v;
      return self();
    }
  }
}
