package org.cellspark.jobs.embed;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.Choices;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Precision;

/**
 * Everything {@code cellspark embed} needs, validated before Spark starts (upstream's names in
 * brackets).
 *
 * @param input token table folder (cellspark tokenize output, or any Parquet with input_ids)
 * @param model Hugging Face folder (config.json + model.safetensors) or TorchScript file
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
 * @param batchTokens padded tokens per batch
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
    List<String> problems = new ArrayList<>();
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
    if (batchTokens < 1) {
      problems.add("--batch-tokens must be positive, got " + batchTokens);
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
    if (!problems.isEmpty()) {
      throw new UserException(
          problems.size() == 1 ? problems.get(0) : "Invalid options:\n  - " + String.join("\n  - ", problems));
    }
  }

  /** Defaults as the CLI's. */
  public static EmbedOptions of(String input, String model, String output) {
    return new EmbedOptions(input, model, output, null, -1, Pooling.MEAN, List.of(), 0, CellSelection.DEFAULT_SEED, List.of(), false,
        Summary.NONE, null, false, EmbeddingSettings.DEFAULT_BATCH_TOKENS, Precision.FP32, 0, false);
  }

  public EmbedOptions withVocabulary(String v) {
    return new EmbedOptions(input, model, output, v, layer, pooling, filters, maxCells, seed, labels, asArray,
        summary, by, geneEmbeddings, batchTokens, precision, partitions, overwrite);
  }

  public EmbedOptions withPooling(Pooling p, int l) {
    return new EmbedOptions(input, model, output, vocabulary, l, p, filters, maxCells, seed, labels, asArray,
        summary, by, geneEmbeddings, batchTokens, precision, partitions, overwrite);
  }

  public EmbedOptions withSelection(List<CellSelection.Filter> f, long max, long s, List<String> l) {
    return new EmbedOptions(input, model, output, vocabulary, layer, pooling, f, max, s, l, asArray,
        summary, by, geneEmbeddings, batchTokens, precision, partitions, overwrite);
  }

  public EmbedOptions withOutputs(boolean array, Summary sum, String byColumn, boolean genes) {
    return new EmbedOptions(input, model, output, vocabulary, layer, pooling, filters, maxCells, seed, labels, array,
        sum, byColumn, genes, batchTokens, precision, partitions, overwrite);
  }

  public EmbedOptions withExecution(long tokens, Precision p, int parts, boolean replace) {
    return new EmbedOptions(input, model, output, vocabulary, layer, pooling, filters, maxCells, seed, labels, asArray,
        summary, by, geneEmbeddings, tokens, p, parts, replace);
  }
}
