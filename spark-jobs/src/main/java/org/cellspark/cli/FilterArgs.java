package org.cellspark.cli;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Filters on a token table's columns (upstream's filter_data). */
final class FilterArgs {
  @Option(
      names = {"--filter", "--filter-data"},
      paramLabel = "COLUMN=V1[,V2...]",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Keep cells whose column is one of the values (repeatable; all must hold) [filter_data].")
  List<String> filters = new ArrayList<>();

  List<CellSelection.Filter> parsed() {
    return filters.stream().map(CellSelection.Filter::parse).toList();
  }
}
