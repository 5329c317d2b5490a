package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.jobs.finetune.SettingsSearch;
import picocli.CommandLine.Option;

/**
 * A training's settings search (--search, --search-trials): a grid, or random draws from values and
 * ranges; for the commands that fine-tune a classifier (finetune, finetune-multitask,
 * finetune-genes), and what they print of it.
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

  /** With --search, the trial kept and where every trial is listed (summary: the job's). */
  static void printKeptTrial(Map<String, Object> summary, PrintWriter out) {
    if (summary.get("search") instanceof Map<?, ?> searched) {
      List<?> trials = (List<?>) searched.get("trials");
      Object kept = searched.get("kept_trial");
      Object values = ((Map<?, ?>) trials.get((Integer) kept)).get("values");
      out.printf(
          Locale.ROOT,
          "  kept trial %s of %d: %s (every trial in trials.csv)%n",
          kept,
          trials.size(),
          values);
      printNote(searched, out);
    }
  }

  /**
   * With --search in every fold: the trial each fold kept, with its values, and where every trial
   * is listed.
   */
  static void printKeptPerFold(Map<String, Object> summary, PrintWriter out) {
    if (summary.get("search") instanceof Map<?, ?> searched) {
      List<?> kept = (List<?>) searched.get("kept_trial_per_fold");
      for (int f = 0; f < kept.size(); f++) {
        for (Object row : (List<?>) searched.get("trials")) {
          Map<?, ?> trial = (Map<?, ?>) row;
          if (trial.get("fold").equals(f + 1) && trial.get("trial").equals(kept.get(f))) {
            out.printf(
                Locale.ROOT,
                "  fold %d kept trial %s: %s%n",
                f + 1,
                kept.get(f),
                trial.get("values"));
          }
        }
      }
      out.printf(Locale.ROOT, "  each fold's trials and the one it kept in trials.csv%n");
      printNote(searched, out);
    }
  }

  /** A random search that found fewer distinct trials than asked says so. */
  private static void printNote(Map<?, ?> searched, PrintWriter out) {
    if (searched.get("note") != null) {
      out.printf(Locale.ROOT, "  %s%n", searched.get("note"));
    }
  }
}
