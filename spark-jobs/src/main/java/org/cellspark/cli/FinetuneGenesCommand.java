package org.cellspark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.error.Choices;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.genes.GeneFinetuneJob;
import org.cellspark.jobs.genes.GeneFinetuneOptions;
import org.cellspark.jobs.genes.GeneFinetuneResult;
import org.cellspark.model.Precision;
import org.cellspark.train.FineTuner;
import org.cellspark.train.LearningRateSchedule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "finetune-genes",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Fine-tune a Geneformer checkpoint as a gene classifier (upstream's Classifier with"
          + " classifier=\"gene\"): genes of known",
      "classes labelled wherever they occur in the cells, cross-validated over genes, each fold"
          + " in its own Spark task; writes",
      "every held-out gene's prediction, per-fold metrics, ROC curves and each fold's model."
          + " Upstream's names in brackets."
    })
final class FinetuneGenesCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Token table.")
  String input;

  @Option(
      names = "--gene-classes",
      required = true,
      paramLabel = "FILE",
      description =
          "Genes by class [gene_class_dict]: a pickled or JSON dict of class to genes, or a"
              + " table of gene,class lines; Ensembl IDs or symbols.")
  String geneClasses;

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
      names = "--folds",
      paramLabel = "K",
      description = "Cross-validation folds over genes, stratified by class.")
  int folds = 5;

  @Option(
      names = "--run-folds",
      paramLabel = "N",
      description = "Train only the first N folds; 0 = all [num_crossval_splits].")
  int runFolds;

  @Option(names = "--epochs", paramLabel = "N", description = "[num_train_epochs]")
  int epochs = 1;

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
      description = "balanced: weight each class's loss by n / (classes x its occurrences).")
  String classWeights = "none";

  @Option(
      names = "--max-grad-norm",
      paramLabel = "N",
      description = "Clip the gradients' global norm to N; 0 = no clipping [max_grad_norm].")
  double maxGradNorm = 1.0;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description = "bf16: mixed precision, for GPU executors with bf16 [bf16].")
  String precision = "fp32";

  @Option(
      names = "--dropout",
      paramLabel = "P",
      description =
          "One dropout rate for training everywhere the model has one (0 = none). Default: the"
              + " checkpoint's config.json rates.")
  Double dropout;

  @Option(
      names = {"--filter", "--filter-data"},
      paramLabel = "COLUMN=V1[,V2...]",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Keep cells whose column is one of the values (repeatable; all must hold) [filter_data].")
  List<String> filters = new ArrayList<>();

  @Option(
      names = {"--max-cells", "--max-ncells"},
      paramLabel = "N",
      description = "At most N cells for each split of a fold; 0 = all [max_ncells].")
  long maxCells;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Seed of the folds, cell samples, batch order, dropout masks and head.")
  long seed = 42;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    GeneFinetuneOptions options =
        GeneFinetuneOptions.builder()
            .input(input)
            .geneClasses(geneClasses)
            .model(model)
            .vocabulary(vocabulary)
            .output(output)
            .folds(folds)
            .runFolds(runFolds)
            .epochs(epochs)
            .learningRate(learningRate)
            .weightDecay(weightDecay)
            .warmupSteps(warmupSteps)
            .decay(Choices.parse("--schedule", schedule, LearningRateSchedule.Decay.values()))
            .batchTokens(batchTokens)
            .freezeLayers(freezeLayers)
            .balanced(
                Choices.parse("--class-weights", classWeights, FinetuneCommand.Weights.values())
                    == FinetuneCommand.Weights.BALANCED)
            .maxGradNorm(maxGradNorm)
            .precision(Precision.parse(precision))
            .dropout(dropout)
            .filters(filters.stream().map(CellSelection.Filter::parse).toList())
            .maxCells(maxCells)
            .seed(seed)
            .overwrite(overwrite)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark finetune-genes")) {
      GeneFinetuneResult r = GeneFinetuneJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "gene classifier, %d classes, %d fold(s): test macro-F1 %.3f ± %.3f, accuracy"
                  + " %.3f%s%n  genes.csv, metrics, ROC and each fold's model in %s (%.1f s)%n",
              r.classes().size(),
              r.folds(),
              r.macroF1(),
              r.macroF1Sd(),
              r.accuracy(),
              Double.isNaN(r.rocAuc())
                  ? ""
                  : String.format(Locale.ROOT, ", ROC AUC %.3f", r.rocAuc()),
              r.output(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
