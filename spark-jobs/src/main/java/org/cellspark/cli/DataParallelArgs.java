package org.cellspark.cli;

import org.cellspark.jobs.finetune.TrainingOptions;
import picocli.CommandLine.Option;

/** {@code --data-parallel N}: the commands that train one model on several executors at once. */
final class DataParallelArgs {
  @Option(
      names = "--data-parallel",
      paramLabel = "N",
      description =
          "Train on N executors at once, one Spark barrier stage (data parallelism): each holds"
              + " the model and every training cell and computes its share of each step's"
              + " batches; their gradients are summed every step. N with"
              + " --gradient-accumulation-steps A trains as 1 with N x A. For a speed-up give each"
              + " executor one task (one GPU each); not under dynamic allocation.")
  int dataParallel = 1;

  <B extends TrainingOptions.Builder<B>> B applyTo(B builder) {
    return builder.dataParallel(dataParallel);
  }
}
