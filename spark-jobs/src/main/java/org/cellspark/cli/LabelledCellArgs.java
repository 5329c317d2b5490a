package org.cellspark.cli;

import org.cellspark.jobs.common.CellSample;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which labelled cells a classifier learns from (finetune, classify): filters, then at most N cells
 * and at most M per class, sampled by --seed (upstream Classifier's filter_data, max_ncells,
 * max_ncells_per_class).
 */
final class LabelledCellArgs {
  @Mixin FilterArgs filters;

  @Option(
      names = {"--max-cells", "--max-ncells"},
      paramLabel = "N",
      description =
          "Learn from at most N labelled cells (after rare classes are left out): those with the"
              + " smallest --seed hash of cell_id; 0 = all [max_ncells].")
  long maxCells;

  @Option(
      names = {"--max-cells-per-class", "--max-ncells-per-class"},
      paramLabel = "N",
      description =
          "Then at most N cells of each class, sampled the same way; 0 = all"
              + " [max_ncells_per_class].")
  long maxCellsPerClass;

  CellSample sample() {
    return new CellSample(filters.parsed(), maxCells, maxCellsPerClass);
  }
}
