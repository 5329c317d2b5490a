package org.cellspark.jobs.demo;

import java.util.List;
import java.util.Map;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.stats.StatsResult;
import org.cellspark.jobs.tokenize.TokenizeResult;

/**
 * What the demo ran and found, every number read from the jobs' own outputs.
 *
 * @param atlas the bundled atlas the demo read (its copy on disk)
 * @param tokenize the tokenize step
 * @param qc cells kept and dropped, gene coverage, tokens per cell
 * @param byCellType cells and mean tokens per cell type, from the output table
 * @param exampleCell one output cell: its ID and its first genes by rank, as symbols
 * @param embed the embed step (with per-cell-type state embeddings)
 * @param pca the embeddings' first two principal components' share of the variance
 * @param perturb the screen: deleting every gene, one at a time, in a few cells of the start state
 * @param startState the screened cells' type
 * @param goalState the state shifts are measured toward
 * @param stats the goal-state-shift statistics
 * @param screen genes tested and found significant
 * @param towardGoal the genes whose deletion moves the cells most toward the goal
 * @param awayFromGoal the genes whose deletion moves them most away from it
 * @param classifier the classifier chosen
 * @param testAccuracy held-out donors' accuracy
 * @param testMacroF1 held-out donors' macro-F1
 * @param runs each job's time and options, from its _cellspark.json
 * @param report report.html
 */
public record DemoResult(
    String atlas,
    TokenizeResult tokenize,
    Qc qc,
    List<CellTypeSummary> byCellType,
    ExampleCell exampleCell,
    EmbedResult embed,
    double[] pca,
    PerturbResult perturb,
    String startState,
    String goalState,
    StatsResult stats,
    ScreenSummary screen,
    List<GeneShift> towardGoal,
    List<GeneShift> awayFromGoal,
    String classifier,
    double testAccuracy,
    double testMacroF1,
    List<JobRun> runs,
    String report) {

  public record CellTypeSummary(String cellType, long cells, double meanLength) {}

  public record ExampleCell(String cellId, String cellType, int length, List<String> topGenes) {}

  /**
   * One gene of the screen's statistics table.
   *
   * @param pValue the rank-sum p-value against the pool of every gene's shifts
   * @param fdr Benjamini-Hochberg over all genes
   */
  public record GeneShift(String gene, double shiftToGoal, double pValue, double fdr, long cells) {}

  /** Genes tested, and those with FDR below the threshold. */
  public record ScreenSummary(long genes, long significant, double fdrThreshold) {}

  /**
   * Quality control, from the tokenize summary and the token table.
   *
   * @param coverage the vocabulary's genes found in the input, as a fraction
   */
  public record Qc(
      long cellsRead,
      long cellsWritten,
      long droppedFilterPass,
      long droppedNoVocabularyGene,
      long truncated,
      long inputGenes,
      long vocabularyGenesMatched,
      double coverage,
      int minTokens,
      int medianTokens,
      int maxTokens) {}

  /** A job of the demo: its name, output folder, wall time and options. */
  public record JobRun(String job, String output, double seconds, Map<String, Object> options) {}
}
