package org.cellspark.cli;

import org.cellspark.error.Choices;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.model.Precision;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;
import picocli.CommandLine.Option;

/**
 * How a fine-tune trains, the options finetune, finetune-genes and pretrain share (upstream
 * Classifier's names in brackets). The epochs are each command's own: their defaults differ.
 */
final class TrainingArgs {
  @Option(names = "--learning-rate", paramLabel = "LR", description = "Peak rate [learning_rate].")
  double learningRate = 5e-5;

  @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW's [weight_decay].")
  double weightDecay = 0.001;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "[warmup_steps]")
  int warmupSteps = 500;

  @Option(
      names = "--schedule",
      paramLabel = "linear|cosine|polynomial",
      description =
          "Decay after warm-up: to 0, or polynomial (power 1) to 1e-7, as the Trainer's"
              + " [lr_scheduler_type].")
  String schedule = "linear";

  @Option(
      names = "--batch-tokens",
      paramLabel = "N",
      description = "Padded tokens per batch (cells x longest cell).")
  long batchTokens = FineTuner.DEFAULT_BATCH_TOKENS;

  @Option(
      names = "--gradient-accumulation-steps",
      paramLabel = "N",
      description =
          "Add up N batches' gradients before each optimizer step: N times --batch-tokens a"
              + " step without the memory [gradient_accumulation_steps].")
  int gradientAccumulation = 1;

  @Option(
      names = "--freeze-layers",
      paramLabel = "N",
      description = "Leave the embeddings and the first N layers untrained [freeze_layers].")
  int freezeLayers;

  @Option(
      names = "--class-weights",
      paramLabel = "none|balanced",
      description =
          "balanced: weight each class's loss by n / (classes x its examples: cells, or a gene"
              + " classifier's labelled occurrences).")
  String classWeights = "none";

  @Option(
      names = "--patience",
      paramLabel = "N",
      description =
          "Stop after N epochs without a better validation macro-F1 (pretrain: masked-gene"
              + " accuracy); 0 = never.")
  int patience;

  @Option(
      names = "--max-grad-norm",
      paramLabel = "N",
      description =
          "Clip the gradients' global norm to N before each step, as the Trainer does; 0 = no"
              + " clipping [max_grad_norm].")
  double maxGradNorm = 1.0;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "bf16: mixed precision as torch.autocast trains (weights fp32), for GPU executors with"
              + " bf16 (A100, H100, L4 and later) [bf16].")
  String precision = "fp32";

  @Option(
      names = "--dropout",
      paramLabel = "P",
      description =
          "One dropout rate for training everywhere the model has one (0 = none). Default: the"
              + " checkpoint's config.json rates (hidden_dropout_prob,"
              + " attention_probs_dropout_prob, classifier_dropout), as upstream trains.")
  Double dropout;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Seed of the split or folds, batch order, dropout masks and head.")
  long seed = 42;

  @Option(
      names = "--checkpoint-minutes",
      paramLabel = "M",
      description =
          "Within an epoch, also save the training state every M minutes (after every epoch it"
              + " always is), so a killed run loses at most that much; 0 = at epochs' ends only.")
  double checkpointMinutes = FineTuner.DEFAULT_CHECKPOINT_EVERY.toMinutes();

  /** These options set on a job's options builder. */
  <B extends TrainingOptions.Builder<B>> B applyTo(B b) {
    return b.learningRate(learningRate)
        .weightDecay(weightDecay)
        .warmupSteps(warmupSteps)
        .decay(Choices.parse("--schedule", schedule, LearningRateSchedule.Decay.values()))
        .batchTokens(batchTokens)
        .freezeLayers(freezeLayers)
        .balanced(
            Choices.parse("--class-weights", classWeights, Weights.values()) == Weights.BALANCED)
        .patience(patience)
        .maxGradNorm(maxGradNorm)
        .precision(Precision.parse(precision))
        .dropout(dropout)
        .seed(seed)
        .checkpointMinutes(checkpointMinutes)
        .gradientAccumulation(gradientAccumulation);
  }

  private enum Weights {
    NONE,
    BALANCED
  }
}
