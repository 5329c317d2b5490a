package org.cellspark.jobs.embed;

import java.util.List;
import org.cellspark.error.Choices;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.model.Precision;

/**
 * Everything {@code cellspark embed} needs, validated before Spark starts (upstream's names in
 * brackets).
 *
 * @param input token table folder (cellspark tokenize output, or any Parquet with input_ids)
 * @param model Hugging Face folder (config.json + model.safetensors or pytorch_model.bin) or
 *     TorchScript file
 * @param output output folder: cells/, state_embeddings/, gene_embeddings/, _cellspark.json
 * @param vocabulary the tokens' vocabulary; null = the one named in the input's _cellspark.json
 * @param layer -1 (second to last) or 0 (last) [emb_layer]
 * @param pooling mean or cls [emb_mode]
 * @param filters keep rows whose column is one of the values, all filters together [filter_data]
 * @param maxCells embed at most this many cells (a deterministic sample), 0 = all [max_ncells]
 * @param seed the sample's seed
 * @param labels columns carried into the output; empty = every column but input_ids [emb_label]
 * @param asArray embedding as array<float> instead of a Spark ML vector
 * @param summary none, mean or median per --by label [summary_stat, exact_*]
 * @param by the label column for summaries
 * @param geneEmbeddings also write per-gene mean contextual embeddings
 * @param batchTokens padded tokens per batch, or {@link BatchBudget#AUTO} for the device's budget
 * @param precision fp32, or fp16 on GPU executors
 * @param partitions repartition the cells first (0 = keep the input's partitions)
 * @param overwrite replace an existing output
 */
public record EmbedOptions(
    String input,
    String model,
    String output,
    String vocabulary,
    int layer,
    Pooling pooling,
    List<CellSelection.Filter> filters,
    long maxCells,
    long seed,
    List<String> labels,
    boolean asArray,
    Summary summary,
    String by,
    boolean geneEmbeddings,
    long batchTokens,
    Precision precision,
    int partitions,
    boolean overwrite) {

  public enum Summary {
    NONE,
    MEAN,
    MEDIAN;

    public static Summary parse(String s) {
      return Choices.parse("--summary", s, new Summary[] {MEAN, MEDIAN});
    }
  }

  public EmbedOptions {
    filters = filters == null ? List.of() : List.copyOf(filters);
    labels = labels == null ? List.of() : List.copyOf(labels);
    OptionProblems problems = new OptionProblems();
    if (input == null || input.isBlank()) {
      problems.add("--input is required (a token table, e.g. cellspark tokenize's output)");
    }
    if (model == null || model.isBlank()) {
      problems.add("--model is required (a Hugging Face model folder or a TorchScript file)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required");
    }
    if (layer != -1 && layer != 0) {
      problems.add("--layer must be -1 (second to last) or 0 (last), got " + layer);
    }
    if (maxCells < 0) {
      problems.add("--max-cells must be positive, got " + maxCells);
    }
    if (batchTokens < 0) {
      problems.add("--batch-tokens must be positive (or auto), got " + batchTokens);
    }
    if (partitions < 0) {
      problems.add("--partitions must be positive, got " + partitions);
    }
    if (summary != Summary.NONE && (by == null || by.isBlank())) {
      problems.add("--summary needs --by <label column>");
    }
    if (summary == Summary.NONE && by != null && !by.isBlank()) {
      problems.add("--by needs --summary mean or median");
    }
    problems.throwIfAny();
  }

  /** Defaults as the CLI's. */
  public static EmbedOptions of(String input, String model, String output) {
    return builder().input(input).model(model).output(output).build();
  }

  public EmbedOptions withVocabulary(String v) {
    return toBuilder().vocabulary(v).build();
  }

  public EmbedOptions withPooling(Pooling p, int l) {
    return toBuilder().layer(l).pooling(p).build();
  }

  public EmbedOptions withSelection(
      List<CellSelection.Filter> f, long max, long s, List<String> l) {
    return toBuilder().filters(f).maxCells(max).seed(s).labels(l).build();
  }

  public EmbedOptions withOutputs(boolean array, Summary sum, String byColumn, boolean genes) {
    return toBuilder().asArray(array).summary(sum).by(byColumn).geneEmbeddings(genes).build();
  }

  public EmbedOptions withExecution(long tokens, Precision p, int parts, boolean replace) {
    return toBuilder()
        .batchTokens(tokens)
        .precision(p)
        .partitions(parts)
        .overwrite(replace)
        .build();
  }

  /**
   * A builder with every option at its default (the command line's); {@link Builder#build} checks
   * them all.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.input = input;
    b.model = model;
    b.output = output;
    b.vocabulary = vocabulary;
    b.layer = layer;
    b.pooling = pooling;
    b.filters = filters;
    b.maxCells = maxCells;
    b.seed = seed;
    b.labels = labels;
    b.asArray = asArray;
    b.summary = summary;
    b.by = by;
    b.geneEmbeddings = geneEmbeddings;
    b.batchTokens = batchTokens;
    b.precision = precision;
    b.partitions = partitions;
    b.overwrite = overwrite;
    return b;
  }

  /** The options by name; unset ones keep their defaults. */
  public static final class Builder {
    private String input;
    private String model;
    private String output;
    private String vocabulary;
    private int layer = -1;
    private Pooling pooling = Pooling.MEAN;
    private List<CellSelection.Filter> filters = List.of();
    private long maxCells;
    private long seed = CellSelection.DEFAULT_SEED;
    private List<String> labels = List.of();
    private boolean asArray;
    private Summary summary = Summary.NONE;
    private String by;
    private boolean geneEmbeddings;
    private long batchTokens = BatchBudget.AUTO;
    private Precision precision = Precision.FP32;
    private int partitions;
    private boolean overwrite;

    private Builder() {}

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder vocabulary(String v) {
      vocabulary = v;
      return this;
    }

    public Builder layer(int v) {
      layer = v;
      return this;
    }

    public Builder pooling(Pooling v) {
      pooling = v;
      return this;
    }

    public Builder filters(List<CellSelection.Filter> v) {
      filters = v;
      return this;
    }

    public Builder maxCells(long v) {
      maxCells = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder labels(List<String> v) {
      labels = v;
      return this;
    }

    public Builder asArray(boolean v) {
      asArray = v;
      return this;
    }

    public Builder summary(Summary v) {
      summary = v;
      return this;
    }

    public Builder by(String v) {
      by = v;
      return this;
    }

    public Builder geneEmbeddings(boolean v) {
      geneEmbeddings = v;
      return this;
    }

    public Builder batchTokens(long v) {
      batchTokens = v;
      return this;
    }

    public Builder precision(Precision v) {
      precision = v;
      return this;
    }

    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public EmbedOptions build() {
      return new EmbedOptions(
          input,
          model,
          output,
          vocabulary,
          layer,
          pooling,
          filters,
          maxCells,
          seed,
          labels,
          asArray,
          summary,
          by,
          geneEmbeddings,
          batchTokens,
          precision,
          partitions,
          overwrite);
    }
  }
}
