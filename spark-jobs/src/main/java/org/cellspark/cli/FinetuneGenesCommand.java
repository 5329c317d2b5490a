package org.cellspark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.genes.GeneFinetuneJob;
import org.cellspark.jobs.genes.GeneFinetuneOptions;
import org.cellspark.jobs.genes.GeneFinetuneResult;
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
          + " classifier=\"gene\").",
      "Genes of known classes are labelled wherever they occur in the cells, cross-validated over"
          + " genes, each fold (with --search, each trial of each fold) in its own Spark task."
          + " Writes every held-out gene's prediction, per-fold metrics, ROC curves and each fold's"
          + " model. Upstream's names in brackets."
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

  @Mixin TrainingArgs training;

  @Mixin LoraArgs lora;

  @Mixin SearchArgs search;

  @Option(
      names = "--predict-genes",
      paramLabel = "GENES|FILE|all",
      split = ",",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Genes of no class for every fold's model to class (Ensembl IDs or symbols, files of"
              + " them, or all); writes predictions.csv.")
  List<String> predictGenes = new ArrayList<>();

  @Mixin FilterArgs filters;

  @Option(
      names = {"--max-cells", "--max-ncells"},
      paramLabel = "N",
      description = "At most N cells for each split of a fold; 0 = all [max_ncells].")
  long maxCells;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    GeneFinetuneOptions.Builder builder =
        GeneFinetuneOptions.builder()
            .input(input)
            .geneClasses(geneClasses)
            .model(model)
            .vocabulary(vocabulary)
            .output(output)
            .folds(folds)
            .runFolds(runFolds)
            .epochs(epochs)
            .predictGenes(predictGenes)
            .filters(filters.parsed())
            .maxCells(maxCells)
            .search(search.parse(training.seed))
            .overwrite(overwrite);
    GeneFinetuneOptions options = lora.applyTo(training.applyTo(builder)).build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark finetune-genes")) {
      GeneFinetuneResult r = GeneFinetuneJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "gene classifier, %d classes, %d fold(s): test macro-F1 %.3f ± %.3f, accuracy"
                  + " %.3f%s%n  genes.csv%s, metrics, ROC and each fold's model in %s (%.1f s)%n",
              r.classes().size(),
              r.folds(),
              r.macroF1(),
              r.macroF1Sd(),
              r.accuracy(),
              Double.isNaN(r.rocAuc())
                  ? ""
                  : String.format(Locale.ROOT, ", ROC AUC %.3f", r.rocAuc()),
              predictGenes.isEmpty() ? "" : ", predictions.csv",
              r.output(),
              r.seconds());
      SearchArgs.printKeptPerFold(r.summary(), spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
