package org.cellspark.jobs.stats;

import java.util.Locale;
import org.cellspark.error.Choices;

/** What `cellspark stats` computes: upstream's InSilicoPerturberStats modes. */
public enum StatsMode {
  /**
   * Per gene: mean shift toward the goal (and alternative) states, rank-sum p-value against all
   * genes' shifts, FDR.
   */
  GOAL_STATE_SHIFT,
  /** Per gene: the screen's values against the same perturbation in a null cell population. */
  VS_NULL,
  /**
   * Per gene: its mean effect and whether a two-component mixture over all genes calls it an
   * impact.
   */
  MIXTURE_MODEL,
  /** One row per perturbed cell of a gene-list screen: its cosine similarity and gene. */
  AGGREGATE_DATA,
  /** Per (perturbed, affected gene) pair and per perturbed gene's cell embedding: mean, std, n. */
  AGGREGATE_GENE_SHIFTS;

  /** The spelling on the command line: goal-state-shift. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The output table's name: goal_state_shift (upstream's mode name). */
  public String tableName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static StatsMode parse(String s) {
    return Choices.parse("--mode", s, values(), StatsMode::label);
  }
}
