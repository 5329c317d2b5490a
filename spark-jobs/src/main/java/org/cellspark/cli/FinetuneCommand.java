package org.cellspark.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.error.Choices;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.finetune.FinetuneJob;
import org.cellspark.jobs.finetune.FinetuneOptions;
import org.cellspark.jobs.finetune.FinetuneResult;
import org.cellspark.model.Precision;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Fine-tune a Geneformer checkpoint as a cell classifier: a linear head on the mean of the"
          + " gene tokens (or <cls>),",
      "the whole model trained, donors held out as classify does it; writes a Hugging Face"
          + " classifier folder and metrics.",
      "Upstream Classifier's names in brackets."
    })
final class FinetuneCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Token table.")
  String input;

  @Option(
      names = "--label",
      required = true,
      paramLabel = "COLUMN",
      description = "The class to predict [cell_state_dict state_key].")
  String label;

  @Option(
      names = "--group",
      paramLabel = "COLUMN",
      description = "Cells sharing a value (donor) never straddle splits [split_id_dict].")
  String group;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "Hugging Face checkpoint to start from (config.json + model.safetensors).")
  String model;

  @Option(
      names = "--vocabulary",
      paramLabel = "DIR",
      description = "The tokens' vocabulary; default: the one named in the table's summary.")
  String vocabulary;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(
      names = "--pooling",
      paramLabel = "mean|cls",
      description = "The head's input: mean of the gene tokens (also 'cell'), or <cls> (V2).")
  String pooling = "mean";

  @Option(names = "--epochs", paramLabel = "N", description = "[num_train_epochs]")
  int epochs = 10;

  @Option(names = "--learning-rate", paramLabel = "LR", description = "Peak rate [learning_rate].")
  double learningRate = 5e-5;

  @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW's [weight_decay].")
  double weightDecay = 0.001;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "[warmup_steps]")
  int warmupSteps = 500;

  @Option(
      names = "--schedule",
      paramLabel = "linear|cosine",
      description = "Decay after warm-up [lr_scheduler_type].")
  String schedule = "linear";

  @Option(
      names = "--batch-tokens",
      paramLabel = "N",
      description = "Padded tokens per batch (cells x longest cell).")
  long batchTokens = FineTuner.DEFAULT_BATCH_TOKENS;

  @Option(
      names = "--freeze-layers",
      paramLabel = "N",
      description = "Leave the embeddings and the first N layers untrained [freeze_layers].")
  int freezeLayers;

  @Option(
      names = "--class-weights",
      paramLabel = "none|balanced",
      description = "balanced: weight each class's loss by n / (classes x its cells).")
  String classWeights = "none";

  @Option(
      names = "--patience",
      paramLabel = "N",
      description = "Stop after N epochs without a better validation macro-F1; 0 = never.")
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

  @Option(names = "--split", paramLabel = "TRAIN,VALID,TEST", description = "[split_sizes]")
  String split = "0.8,0.1,0.1";

  @Option(names = "--min-class-size", paramLabel = "N", description = "Leave out smaller classes.")
  long minClassSize = 10;

  @Option(names = "--rare-threshold", paramLabel = "F", description = "[rare_threshold]")
  double rareThreshold;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Seed of the split, batch order, dropout masks and head.")
  long seed = 42;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    FinetuneOptions options =
        FinetuneOptions.builder()
            .input(input)
            .label(label)
            .group(group)
            .model(model)
            .vocabulary(vocabulary)
            .output(output)
            .pooling(Pooling.parse(pooling))
            .epochs(epochs)
            .learningRate(learningRate)
            .weightDecay(weightDecay)
            .warmupSteps(warmupSteps)
            .decay(Choices.parse("--schedule", schedule, LearningRateSchedule.Decay.values()))
            .batchTokens(batchTokens)
            .freezeLayers(freezeLayers)
            .balanced(
                Choices.parse("--class-weights", classWeights, Weights.values())
                    == Weights.BALANCED)
            .patience(patience)
            .maxGradNorm(maxGradNorm)
            .precision(Precision.parse(precision))
            .dropout(dropout)
            .fractions(ClassifyCommand.fractions(split))
            .minClassSize(minClassSize)
            .rareThreshold(rareThreshold)
            .seed(seed)
            .overwrite(overwrite)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark finetune")) {
      FinetuneResult r = FinetuneJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "fine-tuned %s (%d classes), %d epoch(s), best %d: %s accuracy %.3f, macro-F1 %.3f%n"
                  + "  model/, predictions, metrics and training curve in %s (%.1f s)%n",
              label,
              r.classes().size(),
              r.epochs(),
              r.bestEpoch(),
              r.reported(),
              r.accuracy(),
              r.macroF1(),
              r.output(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }

  enum Weights {
    NONE,
    BALANCED
  }
}
