package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cellspark.error.UserException;
import org.cellspark.jobs.classify.Applied;
import org.cellspark.jobs.classify.ClassifierApply;
import org.cellspark.jobs.classify.ClassifierKind;
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ClassifyOptions;
import org.cellspark.jobs.classify.ClassifyResult;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.finetune.ClassifierHead;
import org.cellspark.jobs.finetune.FineTunedApply;
import org.cellspark.jobs.genes.GeneClassifierApply;
import org.cellspark.jobs.multitask.MultitaskApply;
import org.cellspark.model.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "classify",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    subcommands = {ClassifyCommand.Apply.class},
    description = {
      "Train a Spark MLlib classifier of a cell label on embeddings (cellspark embed's output).",
      "Train / validation / test splits keep each --group (donor) on one side; writes metrics, a"
          + " confusion matrix (CSV, PNG) and the model. 'classify apply' labels new cells with it."
          + " Upstream's names in brackets."
    })
final class ClassifyCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  // Not picocli-required: `classify apply` must parse without them; ClassifyOptions checks them.
  @Option(
      names = "--embeddings",
      paramLabel = "DIR",
      description = "cellspark embed output (cells/), or a Parquet table with an embedding column.")
  String embeddings;

  @Option(
      names = "--label",
      paramLabel = "COLUMN",
      description = "The class to predict [cell_state_dict state_key].")
  String label;

  @Option(
      names = "--group",
      paramLabel = "COLUMN",
      description =
          "Cells sharing a value (donor, patient) never straddle splits; without it cells are split"
              + " one by one [attr_to_split].")
  String group;

  @picocli.CommandLine.Mixin GroupSplitArgs splits;

  @picocli.CommandLine.Mixin LabelledCellArgs cells;

  @Option(names = "--output", paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(
      names = "--classifier",
      paramLabel = "KIND",
      description = "logistic, random-forest or mlp.")
  String classifier = "logistic";

  @Option(
      names = "--split",
      paramLabel = "TRAIN,VALID,TEST",
      description = "Fractions of cells [split_sizes].")
  String split = "0.8,0.1,0.1";

  @Option(
      names = {"--folds", "--num-crossval-splits"},
      paramLabel = "K",
      description =
          "Cross-validate over K folds of cells (or --group's groups), as finetune --folds: every"
              + " cell tested once by a model that never trained on it, the grid's setting chosen"
              + " on the other folds' validation share; 0 or 1 = one split [num_crossval_splits].")
  int folds;

  @Option(
      names = "--min-class-size",
      paramLabel = "N",
      description = "Leave out classes with fewer cells.")
  long minClassSize = 0;

  @Option(
      names = "--rare-threshold",
      paramLabel = "F",
      description = "Leave out classes below this fraction of the cells [rare_threshold].")
  double rareThreshold = 0;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Seed of the split and the classifiers.")
  long seed = CellSelection.DEFAULT_SEED;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    ClassifyOptions options =
        ClassifyOptions.builder()
            .embeddings(embeddings)
            .label(label)
            .group(group)
            .splitGroups(splits.file)
            .balance(splits.balance())
            .stratify(splits.stratify)
            .sample(cells.sample())
            .output(output)
            .classifier(ClassifierKind.parse(classifier))
            .fractions(fractions(split))
            .minClassSize(minClassSize)
            .rareThreshold(rareThreshold)
            .seed(seed)
            .overwrite(overwrite)
            .folds(folds)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark classify")) {
      ClassifyResult r = ClassifyJob.run(s.spark(), options);
      Map<String, Object> test = r.test();
      if (r.folds() > 0) {
        spec.commandLine()
            .getOut()
            .printf(
                Locale.ROOT,
                "cross-validated %s (%d classes) with %s, %d folds: test macro-F1 %.3f +- %.3f,"
                    + " accuracy %.3f +- %.3f%s%n  models/fold-N, out-of-fold predictions,"
                    + " folds.csv, metrics and confusion matrix%s in %s (%.1f s)%n",
                label,
                r.classes().size(),
                classifier,
                r.folds(),
                (Double) test.get("macro_f1_mean"),
                (Double) test.get("macro_f1_sd"),
                (Double) test.get("accuracy_mean"),
                (Double) test.get("accuracy_sd"),
                test.containsKey("roc_auc_mean")
                    ? String.format(
                        Locale.ROOT,
                        ", ROC AUC %.3f +- %.3f",
                        (Double) test.get("roc_auc_mean"),
                        (Double) test.get("roc_auc_sd"))
                    : "",
                test.containsKey("roc_auc_mean") ? ", ROC curves" : "",
                r.output(),
                r.seconds());
        spec.commandLine().getOut().flush();
        return Main.OK;
      }
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "classified %s (%d classes) with %s (%s): accuracy %.3f, macro-F1 %.3f on %,d"
                  + " held-out cells%n  model, predictions, metrics and confusion matrix in %s"
                  + " (%.1f s)%n",
              label,
              r.classes().size(),
              classifier,
              r.chosen(),
              (Double) test.get("accuracy"),
              (Double) test.get("macro_f1"),
              (Long) test.get("cells"),
              r.output(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }

  static double[] fractions(String s) {
    try {
      return Arrays.stream(s.split(",")).mapToDouble(x -> Double.parseDouble(x.trim())).toArray();
    } catch (NumberFormatException e) {
      throw UserException.because(e, "--split '%s' must be three numbers, e.g. 0.8,0.1,0.1", s);
    }
  }

  @Command(
      name = "apply",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      sortOptions = false,
      description =
          "Label new cells with a classifier cellspark classify trained: predictions/ (predicted,"
              + " confidence, probability).")
  static final class Apply implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--model",
        required = true,
        paramLabel = "DIR",
        description =
            "A cellspark classify output folder, or a finetune or finetune-multitask one, or a"
                + " cell classifier upstream's Classifier fine-tuned (with --tokens); or a gene"
                + " classifier (a finetune-genes fold model, or upstream's): predictions.csv, a"
                + " class per gene.")
    String model;

    @Option(
        names = "--embeddings",
        paramLabel = "DIR",
        description = "Embeddings of the cells to label (same model and layer): a classify model.")
    String embeddings;

    @Option(
        names = "--tokens",
        paramLabel = "DIR",
        description = "Token table of the cells to label: a finetune model.")
    String tokens;

    @Option(
        names = "--vocabulary",
        paramLabel = "DIR",
        description =
            "With --tokens: their vocabulary; default: the one the table's summary names.")
    String vocabulary;

    @Option(
        names = "--label",
        split = ",",
        paramLabel = "COLUMN",
        description =
            "Score the predictions against the cells' known labels in this column (upstream's"
                + " evaluate_saved_model): metrics.json, confusion_matrix.csv/.png, roc.csv/.png"
                + " for two classes. A finetune-multitask model: the columns of the tasks to"
                + " score.")
    List<String> labels = new ArrayList<>();

    @Option(
        names = "--genes",
        split = ",",
        paramLabel = "GENES",
        description =
            "With a gene classifier: the genes to classify, all (default), or names and files of"
                + " them (as perturb's --genes).")
    List<String> genes = new ArrayList<>();

    @Option(
        names = "--gene-classes",
        paramLabel = "FILE",
        description =
            "With a gene classifier: genes of known classes [gene_class_dict] to score it"
                + " against (upstream's evaluate_saved_model): metrics.json, confusion_matrix,"
                + " roc for two classes.")
    String geneClasses;

    @Option(
        names = {"--max-cells", "--max-ncells"},
        paramLabel = "N",
        description =
            "With a gene classifier: at most N cells (by seeded hash of cell_id); 0: all.")
    long maxCells;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of --max-cells' sample.")
    long seed = CellSelection.DEFAULT_SEED;

    @Option(
        names = "--precision",
        paramLabel = "fp32|fp16|bf16",
        description =
            "With --tokens: what the encoder computes in; fp16 needs GPU executors, bf16 runs on"
                + " GPUs and on CPUs with bf16 instructions.")
    String precision = "fp32";

    @Option(
        names = {"--classes", "--id-class-dict-file"},
        paramLabel = "FILE",
        description =
            "With a classifier upstream fine-tuned: its id_class_dict (pickle or JSON) naming the"
                + " classes; default: config.json's id2label [id_class_dict_file].")
    String classes;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
    String output;

    @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
    boolean overwrite;

    @Mixin SparkArgs sparkArgs;

    @Override
    public Integer call() {
      if (classes != null && tokens == null) {
        throw UserException.of(
            "--classes names the classes of a fine-tuned model, which labels --tokens; a classify"
                + " model names its own");
      }
      if (tokens != null && embeddings != null) {
        throw UserException.of(
            "classify apply takes --embeddings (a classify model) or --tokens (a finetune model),"
                + " not both");
      }
      if (tokens == null && labels.size() > 1) {
        throw UserException.of(
            "--label %s: a classify model predicts one label; give the one column that holds it",
            String.join(",", labels));
      }
      Precision parsedPrecision = Precision.parse(precision);
      if (tokens == null && parsedPrecision != Precision.FP32) {
        throw UserException.of(
            "--precision applies to a fine-tuned model (with --tokens); a classify model reads"
                + " embeddings");
      }
      try (SparkArgs.Session s = sparkArgs.session("cellspark classify apply")) {
        // Asked once the session runs: a model folder shipped with --archives is found then.
        if (tokens != null && ClassifierHead.isGeneClassifier(FineTunedApply.modelFolder(model))) {
          applyGeneClassifier(s.spark(), parsedPrecision);
          return Main.OK;
        }
        if (!genes.isEmpty() || geneClasses != null || maxCells != 0) {
          throw UserException.of(
              "--genes, --gene-classes and --max-cells apply to a gene classifier (with --tokens);"
                  + " %s is not one",
              model);
        }
        Applied applied =
            tokens != null
                ? applyFineTuned(
                    s.spark(),
                    new FineTunedApply.Options(
                        model,
                        tokens,
                        vocabulary,
                        output,
                        overwrite,
                        labels,
                        classes,
                        parsedPrecision))
                : ClassifierApply.run(
                    s.spark(),
                    new ClassifierApply.Options(
                        model,
                        embeddings,
                        output,
                        overwrite,
                        labels.isEmpty() ? null : labels.get(0)));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "labelled %,d cells into %s%n", applied.cells(), output);
        applied.scores().forEach(k -> out.println("  " + k.line()));
        out.flush();
      }
      return Main.OK;
    }

    /** A gene classifier classifies the cells' genes; --label (cells' labels) has no meaning. */
    private void applyGeneClassifier(
        org.apache.spark.sql.SparkSession spark, Precision parsedPrecision) {
      if (!labels.isEmpty()) {
        throw UserException.of(
            "--label scores cells; %s is a gene classifier: score its genes with --gene-classes",
            model);
      }
      GeneClassifierApply.Result r =
          GeneClassifierApply.run(
              spark,
              new GeneClassifierApply.Options(
                  model,
                  tokens,
                  vocabulary,
                  output,
                  overwrite,
                  genes,
                  geneClasses,
                  classes,
                  maxCells,
                  seed,
                  parsedPrecision));
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          Locale.ROOT,
          "classified %,d genes in %,d cells into %s%n  %s%n",
          r.genes(),
          r.cells(),
          output,
          r.line());
      out.flush();
    }

    /** A finetune model labels the cells; a finetune-multitask one labels them for every task. */
    private static Applied applyFineTuned(
        org.apache.spark.sql.SparkSession spark, FineTunedApply.Options o) {
      return MultitaskApply.isMultitask(o.model())
          ? MultitaskApply.run(spark, o)
          : FineTunedApply.run(spark, o);
    }
  }
}
