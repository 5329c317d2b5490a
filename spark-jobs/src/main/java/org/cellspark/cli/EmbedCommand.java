package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.model.Precision;
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
      "Embed tokenized cells with a Geneformer model (Parquet: cells/, state_embeddings/, gene_embeddings/).",
      "Upstream's names in brackets."
    })
final class EmbedCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Token table (cellspark tokenize's output).")
  String input;

  @Option(names = "--model", required = true, paramLabel = "DIR|FILE",
      description = "Hugging Face model folder (config.json + model.safetensors) or TorchScript .pt with config.json beside it.")
  String model;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(names = "--vocabulary", paramLabel = "DIR",
      description = "The tokens' vocabulary; default: the one named in the input's _cellspark.json.")
  String vocabulary;

  @Option(names = "--layer", paramLabel = "-1|0", description = "-1 = second to last layer, 0 = last [emb_layer].")
  int layer = -1;

  @Option(names = "--pooling", paramLabel = "mean|cls", description = "Cell embedding: mean of gene tokens, or <cls> (V2) [emb_mode].")
  String pooling = "mean";

  @Option(names = "--filter", paramLabel = "COLUMN=V1[,V2...]", showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description = "Keep cells whose column is one of the values (repeatable; all must hold) [filter_data].")
  List<String> filters = new ArrayList<>();

  @Option(names = "--max-cells", paramLabel = "N", description = "Embed a deterministic sample of N cells; 0 = all [max_ncells].")
  long maxCells;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the --max-cells sample.")
  long seed = 42;

  @Option(names = "--labels", split = ",", paramLabel = "COLUMNS", showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description = "Columns carried into cells/ (default: every column but input_ids) [emb_label].")
  List<String> labels = new ArrayList<>();

  @Option(names = "--as-array", description = "Write embeddings as array<float> instead of a Spark ML vector.")
  boolean asArray;

  @Option(names = "--summary", paramLabel = "mean|median", description = "Exact per-label embeddings, with --by [summary_stat].")
  String summary;

  @Option(names = "--by", paramLabel = "COLUMN", description = "The label column for --summary.")
  String by;

  @Option(names = "--gene-embeddings", description = "Also write per-gene mean contextual embeddings (a second model pass).")
  boolean geneEmbeddings;

  @Option(names = "--batch-tokens", paramLabel = "N", description = "Padded tokens per batch (cells x longest cell).")
  long batchTokens = EmbeddingSettings.DEFAULT_BATCH_TOKENS;

  @Option(names = "--precision", paramLabel = "fp32|fp16", description = "fp16 needs GPU executors.")
  String precision = "fp32";

  @Option(names = "--partitions", paramLabel = "N", description = "Repartition the cells first; 0 = keep the input's partitions.")
  int partitions;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    // One constructor call, so that every problem with the options is reported at once.
    EmbedOptions options = new EmbedOptions(input, model, output, vocabulary, layer, Pooling.parse(pooling),
        filters.stream().map(CellSelection.Filter::parse).toList(), maxCells, seed, labels, asArray,
        summary == null ? EmbedOptions.Summary.NONE : EmbedOptions.Summary.parse(summary), by, geneEmbeddings,
        batchTokens, Precision.parse(precision), partitions, overwrite);
    try (SparkArgs.Session s = sparkArgs.session("cellspark embed")) {
      print(spec.commandLine().getOut(), EmbedJob.run(s.spark(), options));
    }
    return Main.OK;
  }

  static void print(PrintWriter out, EmbedResult r) {
    out.printf(Locale.ROOT, "embedded %,d cells into %s (%.1f s, %,.1f cells/s)%n", r.cells(), r.output(), r.seconds(), r.cellsPerSecond());
    if (r.states() > 0) {
      out.printf(Locale.ROOT, "  state embeddings: %,d labels%n", r.states());
    }
    if (r.genes() > 0) {
      out.printf(Locale.ROOT, "  gene embeddings: %,d genes%n", r.genes());
    }
    out.flush();
  }
}
