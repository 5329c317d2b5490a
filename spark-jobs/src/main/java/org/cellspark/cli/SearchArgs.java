package org.cellspark.cli;

import java.util.List;
import org.cellspark.jobs.finetune.SettingsSearch;
import picocli.CommandLine.Option;

/**
 * A training's settings search (--search, --search-trials): a grid, or random draws from values and
 * ranges; for the commands that fine-tune a classifier (finetune, finetune-multitask).
 */
final class SearchArgs {
  @Option(
      names = "--search",
      paramLabel = "NAME=VALUES",
      description =
          "A setting to search (repeatable): learning-rate, weight-decay, warmup-steps, epochs,"
              + " freeze-layers, dropout, schedule; VALUES listed (V1,V2,...: without"
              + " --search-trials every combination is a trial) or, with --search-trials, a range"
              + " to draw from (LOW..HIGH, log:LOW..HIGH, or Ray Tune's uniform(a,b),"
              + " loguniform(a,b), randint(a,b), choice(...)). Each trial a Spark task of its own;"
              + " the best on validation kept [n_hyperopt_trials, hyperparameters].")
  List<String> specs;

  @Option(
      names = {"--search-trials", "--n-hyperopt-trials", "--n-trials"},
      paramLabel = "N",
      description =
          "Draw N trials at random (seeded by --seed) from --search's values and ranges instead"
              + " of trying every combination; at most 64 [n_hyperopt_trials, n_trials].")
  int trials;

  /** The search these options describe, its draws seeded by {@code seed} (--seed). */
  SettingsSearch parse(long seed) {
    return SettingsSearch.parse(specs, trials, seed);
  }
}
