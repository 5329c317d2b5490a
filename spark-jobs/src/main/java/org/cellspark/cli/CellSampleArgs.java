package org.cellspark.cli;

import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which cells of a token table a job uses: filters on its columns and a deterministic sample
 * (upstream's filter_data, max_ncells).
 */
final class CellSampleArgs {
  @Mixin FilterArgs filters;

  @Option(
      names = {"--max-cells", "--max-ncells"},
      paramLabel = "N",
      description = "Use a deterministic sample of N cells; 0 = all [max_ncells].")
  long maxCells;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the --max-cells sample.")
  long seed = CellSelection.DEFAULT_SEED;

  List<CellSelection.Filter> parsedFilters() {
    return filters.parsed();
  }
}
