package org.cellspark.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cellspark.jobs.multitask.MultitaskJob;
import org.cellspark.jobs.multitask.MultitaskOptions;
import org.cellspark.jobs.multitask.MultitaskResult;
import org.cellspark.train.MultiTaskClassifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "finetune-multitask",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Fine-tune one Geneformer model for several cell labels at once (upstream's"
          + " MTLClassifier).",
      "A head per label on one pooled vector, the tasks' losses summed; donors held out as"
          + " finetune does it. Upstream's names in brackets."
    })
final class FinetuneMultitaskCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Token table.")
  String input;

  @Option(
      names = {"--tasks", "--task-columns"},
      required = true,
      split = ",",
      paramLabel = "COLUMN",
      description = "Two or more label columns, one task each [task_columns].")
  List<String> tasks;

  @Option(
      names = "--task-weights",
      split = ",",
      paramLabel = "W",
      description =
          "Each task's weight in the loss, in --tasks order; default all 1 [task_weights].")
  double[] taskWeights;

  @Option(
      names = "--group",
      paramLabel = "COLUMN",
      description = "Cells sharing a value (donor) never straddle splits.")
  String group;

  @picocli.CommandLine.Mixin GroupSplitArgs splits;

  @Option(
      names = {"--model", "--pretrained-path"},
      required = true,
      paramLabel = "DIR",
      description = "Hugging Face checkpoint to start from [pretrained_path].")
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
      paramLabel = "attention|cls|mean",
      description =
          "The heads' input: a learnt attention pool [use_attention_pooling], <cls>, or the mean"
              + " of the gene tokens.")
  String pooling = "attention";

  @Option(names = "--epochs", paramLabel = "N", description = "[epochs]")
  int epochs = 10;

  @Mixin TrainingArgs training;

  @Mixin LoraArgs lora;

  @Mixin DataParallelArgs dataParallel;

  @Mixin SearchArgs search;

  @Option(names = "--split", paramLabel = "TRAIN,VALID,TEST", description = "Fractions of cells.")
  String split = "0.8,0.1,0.1";

  @Option(names = "--min-class-size", paramLabel = "N", description = "Leave out smaller classes.")
  long minClassSize = 10;

  @Option(
      names = "--rare-threshold",
      paramLabel = "F",
      description = "Leave out classes below this share of a task's cells.")
  double rareThreshold;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    MultitaskOptions.Builder builder =
        MultitaskOptions.builder()
            .input(input)
            .tasks(tasks)
            .taskWeights(taskWeights)
            .group(group)
            .splitGroups(splits.file)
            .balance(splits.balance())
            .stratify(splits.stratify)
            .model(model)
            .vocabulary(vocabulary)
            .output(output)
            .pool(MultiTaskClassifier.Pool.parse(pooling))
            .epochs(epochs)
            .fractions(ClassifyCommand.fractions(split))
            .minClassSize(minClassSize)
            .rareThreshold(rareThreshold)
            .overwrite(overwrite)
            .search(search.parse(training.seed));
    MultitaskOptions options =
        lora.applyTo(dataParallel.applyTo(training.applyTo(builder))).build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark finetune-multitask")) {
      MultitaskResult r = MultitaskJob.run(s.spark(), options);
      var out = spec.commandLine().getOut();
      out.printf(
          Locale.ROOT,
          "fine-tuned %d tasks, %d epoch(s), best %d; on the %s cells:%n",
          r.classes().size(),
          r.epochs(),
          r.bestEpoch(),
          r.reported());
      for (Map.Entry<String, List<String>> task : r.classes().entrySet()) {
        out.printf(
            Locale.ROOT,
            "  %s (%d classes): accuracy %.3f, macro-F1 %.3f%n",
            task.getKey(),
            task.getValue().size(),
            r.accuracy().get(task.getKey()),
            r.macroF1().get(task.getKey()));
      }
      out.printf(
          Locale.ROOT,
          "  model/, predictions, metrics and training curve in %s (%.1f s)%n",
          r.output(),
          r.seconds());
      SearchArgs.printKeptTrial(r.summary(), out);
      out.flush();
    }
    return Main.OK;
  }
}
