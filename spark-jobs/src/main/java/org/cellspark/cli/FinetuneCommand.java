package org.cellspark.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.finetune.FinetuneJob;
import org.cellspark.jobs.finetune.FinetuneOptions;
import org.cellspark.jobs.finetune.FinetuneResult;
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
      "Fine-tune a Geneformer checkpoint as a cell classifier (upstream's Classifier).",
      "A linear head on the mean of the gene tokens (or <cls>), the whole model trained, donors"
          + " held out as classify does it; writes a Hugging Face classifier folder and metrics."
          + " Upstream Classifier's names in brackets."
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
      description = "Cells sharing a value (donor) never straddle splits [attr_to_split].")
  String group;

  @picocli.CommandLine.Mixin GroupSplitArgs splits;

  @picocli.CommandLine.Mixin LabelledCellArgs cells;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description =
          "Hugging Face checkpoint to start from (config.json + model.safetensors or"
              + " pytorch_model.bin, whole or in shards).")
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

  @Mixin TrainingArgs training;

  @Mixin LoraArgs lora;

  @Mixin DataParallelArgs dataParallel;

  @Mixin SearchArgs search;

  @Option(names = "--split", paramLabel = "TRAIN,VALID,TEST", description = "[split_sizes]")
  String split = "0.8,0.1,0.1";

  @Option(
      names = {"--folds", "--num-crossval-splits"},
      paramLabel = "K",
      description =
          "Cross-validate over K folds of cells (or --group's groups), each a Spark task: every"
              + " cell tested once by a model that never trained on it; the other folds split by"
              + " --split's train and validation shares; 0 or 1 = one split [num_crossval_splits].")
  int folds;

  @Option(names = "--min-class-size", paramLabel = "N", description = "Leave out smaller classes.")
  long minClassSize = 10;

  @Option(names = "--rare-threshold", paramLabel = "F", description = "[rare_threshold]")
  double rareThreshold;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    FinetuneOptions.Builder builder =
        FinetuneOptions.builder()
            .input(input)
            .label(label)
            .group(group)
            .splitGroups(splits.file)
            .balance(splits.balance())
            .stratify(splits.stratify)
            .sample(cells.sample())
            .model(model)
            .vocabulary(vocabulary)
            .output(output)
            .pooling(Pooling.parse(pooling))
            .epochs(epochs)
            .fractions(ClassifyCommand.fractions(split))
            .minClassSize(minClassSize)
            .rareThreshold(rareThreshold)
            .overwrite(overwrite)
            .search(search.parse(training.seed))
            .folds(folds);
    FinetuneOptions options = lora.applyTo(dataParallel.applyTo(training.applyTo(builder))).build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark finetune")) {
      FinetuneResult r = FinetuneJob.run(s.spark(), options);
      if (r.folds() > 0) {
        printFolds(r, spec.commandLine().getOut());
        return Main.OK;
      }
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
      SearchArgs.printKeptTrial(r.summary(), spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }

  /** A cross-validation's test scores over the folds, and where its outputs are. */
  private void printFolds(FinetuneResult r, java.io.PrintWriter out) {
    out.printf(
        Locale.ROOT,
        "cross-validated %s (%d classes), %d folds: test macro-F1 %.3f ± %.3f, accuracy %.3f%s%n"
            + "  every cell's out-of-fold prediction, folds.csv, metrics%s and each fold's model"
            + " (models/fold-N) in %s (%.1f s)%n",
        label,
        r.classes().size(),
        r.folds(),
        r.macroF1(),
        r.macroF1Sd(),
        r.accuracy(),
        Double.isNaN(r.rocAuc()) ? "" : String.format(Locale.ROOT, ", ROC AUC %.3f", r.rocAuc()),
        Double.isNaN(r.rocAuc()) ? "" : ", ROC curves",
        r.output(),
        r.seconds());
    SearchArgs.printKeptPerFold(r.summary(), out);
    out.flush();
  }
}
