package org.cellspark.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.pretrain.PretrainJob;
import org.cellspark.jobs.pretrain.PretrainOptions;
import org.cellspark.jobs.pretrain.PretrainResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Pretrain Geneformer on masked genes, as upstream's GeneformerPretrainer does.",
      "15%% of each cell's genes are hidden and the model asked to name them: continue a"
          + " checkpoint on a new corpus (--model), or start a new model from a config.json"
          + " (--new-model). Writes a Hugging Face BertForMaskedLM folder (model/) that every"
          + " command reads, the training curve and the validation numbers."
    })
final class PretrainCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Token table.")
  String input;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description =
          "Hugging Face checkpoint to continue (config.json + model.safetensors or"
              + " pytorch_model.bin, whole or in shards; its"
              + " cls.predictions head is continued when it has one).")
  String model;

  @Option(
      names = "--new-model",
      paramLabel = "CONFIG",
      description =
          "A BERT config.json (sizes, vocab_size = the vocabulary's) to start a new model from,"
              + " initialised as transformers initialises one.")
  String newModel;

  @Option(
      names = "--vocabulary",
      paramLabel = "DIR",
      description = "The tokens' vocabulary; default: the one named in the table's summary.")
  String vocabulary;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(names = "--epochs", paramLabel = "N", description = "[num_train_epochs]")
  int epochs = 3;

  @Mixin TrainingArgs training;

  @Mixin DataParallelArgs dataParallel;

  @Option(
      names = {"--mask-fraction", "--mlm-probability"},
      paramLabel = "P",
      description = "Share of each cell's genes masked [mlm_probability].")
  double maskFraction = 0.15;

  @Option(
      names = "--validation-cells",
      paramLabel = "N",
      description = "Cells held out to score each epoch (at most a tenth of the cells).")
  long validationCells = 1_000;

  @Option(
      names = "--max-cells",
      paramLabel = "N",
      description = "At most N training cells (a seeded sample); 0 = all.")
  long maxCells;

  @Mixin FilterArgs filters;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    PretrainOptions.Builder builder =
        PretrainOptions.builder()
            .input(input)
            .model(model)
            .newModel(newModel)
            .vocabulary(vocabulary)
            .output(output)
            .epochs(epochs)
            .maskFraction(maskFraction)
            .validationCells(validationCells)
            .maxCells(maxCells)
            .filters(filters.parsed())
            .overwrite(overwrite);
    PretrainOptions options = dataParallel.applyTo(training.applyTo(builder)).build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark pretrain")) {
      PretrainResult r = PretrainJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "pretrained on %,d cells, %d epoch(s): validation masked-gene accuracy %.3f, loss"
                  + " %.4f (perplexity %.1f; epoch %d kept; as it started: %.3f, %.4f)%n"
                  + "  model/, training.csv and metrics.json in %s (%.1f s)%n",
              r.trainingCells(),
              r.epochsRun(),
              r.validationAccuracy(),
              r.validationLoss(),
              Math.exp(r.validationLoss()),
              r.bestEpoch(),
              r.accuracyBefore(),
              r.lossBefore(),
              r.output(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
