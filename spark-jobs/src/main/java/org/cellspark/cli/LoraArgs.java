package org.cellspark.cli;

import org.cellspark.error.UserException;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.model.LoraAdapters;
import picocli.CommandLine.Option;

/** {@code --lora} and its settings: the commands that fine-tune a trained model. */
final class LoraArgs {
  @Option(
      names = "--lora",
      description =
          "Train LoRA adapters on every layer's query and value projections, and the head,"
              + " instead of the whole encoder (upstream's [quantize] without its 4-bit weights;"
              + " peft's settings unless set below). The saved model has them folded in.")
  boolean lora;

  @Option(names = "--lora-rank", paramLabel = "R", description = "Adapters' rank [r] (64).")
  Integer rank;

  @Option(
      names = "--lora-alpha",
      paramLabel = "A",
      description = "Adapters' output scaled by A / R [lora_alpha] (128).")
  Double alpha;

  @Option(
      names = "--lora-dropout",
      paramLabel = "P",
      description = "Dropout on the adapters' input in training [lora_dropout] (0.1).")
  Double dropout;

  <B extends TrainingOptions.Builder<B>> B applyTo(B builder) {
    if (!lora) {
      if (rank != null || alpha != null || dropout != null) {
        throw UserException.of(
            "--lora-rank, --lora-alpha and --lora-dropout set the adapters --lora trains: add"
                + " --lora, or leave them out to train the whole encoder");
      }
      return builder;
    }
    LoraAdapters.Settings upstream = LoraAdapters.Settings.UPSTREAM;
    return builder.lora(
        new LoraAdapters.Settings(
            rank == null ? upstream.rank() : rank,
            alpha == null ? upstream.alpha() : alpha,
            dropout == null ? upstream.dropout() : dropout));
  }
}
