package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Embed tokenized cells with a Geneformer model (Parquet: cells/, state_embeddings/,"
          + " gene_embeddings/).",
      "Upstream's names in brackets."
    })
final class EmbedCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ModelJobArgs job;

  @Option(
      names = "--pooling",
      paramLabel = "mean|cls",
      description =
          "Cell embedding: mean of gene tokens (upstream's cell; 'cell' is accepted), or <cls>"
              + " (V2; upstream's default for V2) [emb_mode].")
  String pooling = "mean";

  @Mixin CellSampleArgs cells;

  @Option(
      names = {"--labels", "--emb-label"},
      split = ",",
      paramLabel = "COLUMNS",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Columns carried into cells/ (default: every column but input_ids) [emb_label].")
  List<String> labels = new ArrayList<>();

  @Option(
      names = "--as-array",
      description = "Write embeddings as array<float> instead of a Spark ML vector.")
  boolean asArray;

  @Option(
      names = "--summary",
      paramLabel = "mean|median",
      description = "Exact per-label embeddings, with --by [summary_stat].")
  String summary;

  @Option(names = "--by", paramLabel = "COLUMN", description = "The label column for --summary.")
  String by;

  @Option(
      names = "--gene-embeddings",
      description = "Also write per-gene mean contextual embeddings (a second model pass).")
  boolean geneEmbeddings;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Repartition the cells first; 0 = keep the input's partitions.")
  int partitions;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    // One build, so that every problem with the options is reported at once.
    EmbedOptions options =
        EmbedOptions.builder()
            .input(job.input)
            .model(job.model)
            .output(job.output)
            .vocabulary(job.vocabulary)
            .layer(job.layer)
            .pooling(Pooling.parse(pooling))
            .filters(cells.parsedFilters())
            .maxCells(cells.maxCells)
            .seed(cells.seed)
            .labels(labels)
            .asArray(asArray)
            .summary(
                summary == null ? EmbedOptions.Summary.NONE : EmbedOptions.Summary.parse(summary))
            .by(by)
            .geneEmbeddings(geneEmbeddings)
            .batchTokens(job.batchTokens)
            .precision(job.parsedPrecision())
            .partitions(partitions)
            .overwrite(overwrite)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark embed")) {
      print(spec.commandLine().getOut(), EmbedJob.run(s.spark(), options));
    }
    return Main.OK;
  }

  static void print(PrintWriter out, EmbedResult r) {
    out.printf(
        Locale.ROOT,
        "embedded %,d cells into %s (%.1f s, %,.1f cells/s)%n",
        r.cells(),
        r.output(),
        r.seconds(),
        r.cellsPerSecond());
    if (r.states() > 0) {
      out.printf(Locale.ROOT, "  state embeddings: %,d labels%n", r.states());
    }
    if (r.genes() > 0) {
      out.printf(Locale.ROOT, "  gene embeddings: %,d genes%n", r.genes());
    }
    out.flush();
  }
}
