package org.cellspark.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.plot.PlotJob;
import org.cellspark.jobs.plot.PlotOptions;
import org.cellspark.jobs.plot.PlotResult;
import org.cellspark.jobs.plot.PlotStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Draw cell embeddings (cellspark embed's output) as upstream's EmbExtractor.plot_embs does.",
      "A UMAP coloured by each label, or a heatmap of cells by dimensions (PNG; umap.csv)."
          + " Upstream's names in brackets."
    })
final class PlotCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"--input", "--embeddings"},
      required = true,
      paramLabel = "DIR",
      description =
          "cellspark embed's output (its cells/), or a Parquet table with cell_id and embedding.")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(
      names = {"--labels", "--labels-to-plot"},
      required = true,
      split = ",",
      paramLabel = "COLUMN",
      description =
          "Columns to colour the cells by, one plot each: text as categories, numbers on a colour"
              + " ramp [labels_to_plot].")
  String[] labels;

  @Option(
      names = "--annotations",
      paramLabel = "FILE",
      description =
          "More columns to colour by, joined by cell_id: a CSV or TSV (scanpy's"
              + " adata.obs.to_csv() as it is), a Parquet table, or a classify apply / finetune"
              + " output (its predictions/).")
  String annotations;

  @Option(
      names = {"--style", "--plot-style"},
      paramLabel = "STYLE",
      description = "umap, heatmap, or umap,heatmap [plot_style].")
  String style = "umap";

  @Mixin FilterArgs filters;

  @Option(
      names = {"--max-cells", "--max-ncells-to-plot"},
      paramLabel = "N",
      description =
          "Draw a deterministic sample of N cells (smallest seeded hash of cell_id); 0 = all, up to"
              + " 100,000. A heatmap shows the first 2,000 [max_ncells_to_plot].")
  int maxCells = PlotOptions.DEFAULT_MAX_CELLS;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the sample and the UMAP.")
  long seed = PlotOptions.DEFAULT_SEED;

  @Option(
      names = {"--neighbors", "--n-neighbors"},
      paramLabel = "K",
      description = "UMAP: nearest neighbours per cell (scanpy's n_neighbors).")
  int neighbors = PlotOptions.DEFAULT_NEIGHBORS;

  @Option(
      names = "--min-dist",
      paramLabel = "D",
      description = "UMAP: how tightly cells pack (scanpy's min_dist; spread 1).")
  double minDist = PlotOptions.DEFAULT_MIN_DIST;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    PlotOptions options =
        PlotOptions.builder()
            .input(input)
            .output(output)
            .labels(Arrays.stream(labels).map(String::trim).filter(s -> !s.isEmpty()).toList())
            .annotations(annotations)
            .styles(PlotStyle.parseList(style))
            .filters(filters.parsed())
            .maxCells(maxCells)
            .seed(seed)
            .neighbors(neighbors)
            .minDist(minDist)
            .overwrite(overwrite)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark plot")) {
      PlotResult r = PlotJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "plot: %,d cells drawn into %s (%s) in %.1f s%n",
              r.cells(),
              r.output(),
              String.join(", ", r.files()),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
