package org.cellspark.jobs.demo;

import java.util.List;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.stats.StatsResult;
import org.cellspark.jobs.tokenize.TokenizeResult;

/**
 * @param atlas the bundled atlas the demo read (its copy on disk)
 * @param tokenize the tokenize step
 * @param byCellType cells and mean tokens per cell type, from the output table
 * @param exampleCell one output cell: its ID and its first genes by rank, as symbols
 * @param embed the embed step (with per-cell-type state embeddings)
 * @param perturb the screen: deleting a few genes in cells of the start state
 * @param startState the screened cells' type
 * @param goalState the state shifts are measured toward
 * @param stats the goal-state-shift statistics
 * @param shifts the genes by mean shift toward the goal, from the statistics table
 * @param classifier the classifier chosen
 * @param testAccuracy held-out donors' accuracy
 * @param testMacroF1 held-out donors' macro-F1
 * @param report report.html
 */
public record DemoResult(
    String atlas,
    TokenizeResult tokenize,
    List<CellTypeSummary> byCellType,
    ExampleCell exampleCell,
    EmbedResult embed,
    PerturbResult perturb,
    String startState,
    String goalState,
    StatsResult stats,
    List<GeneShift> shifts,
    String classifier,
    double testAccuracy,
    double testMacroF1,
    String report) {

  public record CellTypeSummary(String cellType, long cells, double meanLength) {}

  public record ExampleCell(String cellId, String cellType, int length, List<String> topGenes) {}

  public record GeneShift(String gene, double shiftToGoal, long cells) {}
}
