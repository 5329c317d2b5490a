package org.cellspark.cli;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Which cells of a token table a job uses: filters on its columns and a deterministic sample
 * (upstream's filter_data, max_ncells).
 */
final class CellSampleArgs {
  @Option(
      names = {"--filter", "--filter-data"},
      paramLabel = "COLUMN=V1[,V2...]",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Keep cells whose column is one of the values (repeatable; all must hold) [filter_data].")
  List<String> filters = new ArrayList<>();

  @Option(
      names = {"--max-cells", "--max-ncells"},
      paramLabel = "N",
      description = "Use a deterministic sample of N cells; 0 = all [max_ncells].")
  long maxCells;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the --max-cells sample.")
  long seed = CellSelection.DEFAULT_SEED;

  List<CellSelection.Filter> parsedFilters() {
    return filters.stream().map(CellSelection.Filter::parse).toList();
  }
}
