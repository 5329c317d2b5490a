package org.cellspark.jobs.tokenize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.encode.EncodingSettings;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.vocab.Vocabulary;

/** The {@code _cellspark.json} of a tokenize run. */
final class TokenizeSummary {
  private TokenizeSummary() {}

  static JobSummary build(
      TokenizeOptions o,
      List<InspectedInput> inputs,
      Vocabulary vocabulary,
      EncodingSettings settings,
      TokenizeCounters c,
      long written,
      double[] phaseSeconds,
      double seconds) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("inputs", o.inputs());
    options.put("output", o.output());
    options.put("output_format", o.outputFormat().name().toLowerCase(Locale.ROOT));
    options.put("vocabulary", o.vocabulary());
    options.put("counts", o.counts());
    options.put("gene_id_column", o.geneIdColumnOrDefault());
    options.put("gene_id_type", o.geneIdType().name().toLowerCase(Locale.ROOT));
    options.put("model_input_size", settings.modelInputSize());
    options.put("special_tokens", settings.specialTokens());
    options.put(
        "attributes",
        o.attributes().stream().map(a -> a.obsColumn() + "=" + a.outputColumn()).toList());
    options.put("n_counts_column", o.nCountsColumn());
    options.put("filter_pass_column", o.useFilterPass() ? o.filterPassColumn() : null);
    options.put("min_gene_match", o.minGeneMatch());
    options.put("allow_non_integer", o.allowNonInteger());
    options.put("partitions", o.partitions());
    options.put("modality", o.modality());
    options.put("genome", o.genome());
    options.put("cross_species", o.crossSpecies());
    options.put("keep_counts", o.keepCounts());

    List<Map<String, Object>> in = new ArrayList<>();
    for (InspectedInput i : inputs) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", i.file().name());
      m.put("uri", i.file().uri());
      m.put("cells", i.cells() < 0 ? null : i.cells());
      m.put("matrix", i.matrix());
      m.put("input_genes", i.inputGenes());
      m.put("vocabulary_genes_matched", i.mapping().matchedGenes());
      m.put("vocabulary_coverage", round(i.mapping().vocabularyCoverage()));
      m.put("input_genes_unmatched", i.mapping().unmatchedColumns());
      m.put("input_genes_collapsed", i.mapping().collapsedColumns());
      if (i.symbols() != null) {
        m.put("gene_symbols", i.symbols().describe());
      }
      m.put(
          "n_counts",
          i.hasNCounts()
              ? "obs column " + o.nCountsColumn()
              : "computed from counts (no obs column " + o.nCountsColumn() + ")");
      m.put(
          "filter_pass", i.hasFilterPass() ? "obs column " + o.filterPassColumn() : "not applied");
      in.add(m);
    }
    Map<String, Object> vocab = new LinkedHashMap<>();
    vocab.put("location", vocabulary.location());
    vocab.put("tokens", vocabulary.size());
    vocab.put("genes", vocabulary.geneCount());
    vocab.put("organism", vocabulary.organism() == null ? null : vocabulary.organism().name());
    vocab.put("special_tokens", vocabulary.hasClsAndEos() ? "<cls>/<eos>" : "none");
    vocab.put("files", vocabulary.files());

    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("cells_read", c.cellsRead.value());
    counts.put("cells_written", written);
    counts.put("dropped_filter_pass", c.droppedFilterPass.value());
    counts.put("dropped_no_vocabulary_gene", c.droppedEmpty.value());
    counts.put("n_counts_computed", c.nCountsComputed.value());
    counts.put("truncated_to_input_size", c.truncated.value());
    counts.put("tokens_written", c.tokensWritten.value());

    Map<String, Object> timings = new LinkedHashMap<>();
    timings.put("inspect_seconds", round(phaseSeconds[0]));
    timings.put("check_cell_ids_seconds", round(phaseSeconds[1]));
    timings.put("tokenize_and_write_seconds", round(phaseSeconds[2]));
    timings.put("total_seconds", round(seconds));
    timings.put("cells_per_second", round(seconds > 0 ? c.cellsRead.value() / seconds : 0));

    return new JobSummary("tokenize")
        .put("options", options)
        .put("encoding", settings.describe())
        .put("vocabulary", vocab)
        .put("inputs", in)
        .put("counts", counts)
        .put("timings", timings);
  }

  private static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }
}
