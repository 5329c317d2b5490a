package org.cellspark.jobs.demo;

import java.util.List;
import org.cellspark.jobs.tokenize.TokenizeResult;

/**
 * @param atlas the bundled atlas the demo read (its copy on disk)
 * @param tokenize the tokenize step
 * @param byCellType cells and mean tokens per cell type, from the output table
 * @param exampleCell one output cell: its ID and its first genes by rank, as symbols
 */
public record DemoResult(
    String atlas, TokenizeResult tokenize, List<CellTypeSummary> byCellType, ExampleCell exampleCell) {

  public record CellTypeSummary(String cellType, long cells, double meanLength) {}

  public record ExampleCell(String cellId, String cellType, int length, List<String> topGenes) {}
}
