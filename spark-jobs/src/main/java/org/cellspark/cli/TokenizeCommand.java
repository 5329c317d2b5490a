package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.encode.EncodingSettings.SpecialTokens;
import org.cellspark.jobs.tokenize.GeneIdType;
import org.cellspark.jobs.tokenize.OutputFormat;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Tokenize AnnData (.h5ad, .zarr), MuData (.h5mu), loom, Cell Ranger .h5 files, Matrix Market"
          + " folders and Parquet long tables into Geneformer's rank-value tokens (Parquet).",
      "Output columns: cell_id, input_ids, length, n_counts, source and any --attribute columns,"
          + " plus _cellspark.json with options, counts and timings."
    })
final class TokenizeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      required = true,
      split = ",",
      paramLabel = "FILE|DIR|GLOB",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "Input .h5ad, .h5mu, .loom or Cell Ranger .h5 files, AnnData .zarr stores, folders or"
              + " globs of them, Matrix Market folders (matrix.mtx[.gz], features.tsv[.gz],"
              + " barcodes.tsv[.gz]) and Parquet long tables (cell_id, gene_id, count); local or"
              + " s3a:// / gs:// / hdfs://; comma-separated or repeated.")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(
      names = "--vocabulary",
      required = true,
      paramLabel = "DIR",
      description =
          "Folder of Geneformer dictionaries (token_dictionary*.pkl, gene_median_dictionary*.pkl,"
              + " optional ensembl_mapping_dict*.pkl, gene_name_id_dict*.pkl; or .tsv),"
              + " or builtin:geneformer-v1.")
  String vocabulary;

  @Option(
      names = "--counts",
      paramLabel = "X|raw|layers/NAME",
      description = "Where the raw counts are.")
  String counts = TokenizeOptions.DEFAULT_COUNTS;

  @Option(
      names = "--gene-id-column",
      paramLabel = "COLUMN",
      description =
          "Gene table column (loom: row attribute) with the gene IDs. Default: ensembl_id (loom:"
              + " else Accession), falling back to an Ensembl-looking h5ad index; with"
              + " --gene-id-type symbol the h5ad index, loom's Gene attribute. For .h5ad, .h5mu,"
              + " .zarr and loom inputs only (refused for formats whose IDs have one place).")
  String geneIdColumn;

  @Option(
      names = "--cell-table",
      paramLabel = "PARQUET",
      description =
          "For Parquet long-table inputs (cell_id, gene_id, count): a table of cell attributes"
              + " keyed by cell_id; without it, the long table's other columns are the attributes.")
  String cellTable;

  @Option(
      names = "--gene-id-type",
      paramLabel = "ensembl|symbol",
      description =
          "What the gene IDs are: Ensembl IDs (default) or gene symbols, mapped through the"
              + " vocabulary's gene_name_id_dict (matched/unmatched counts in _cellspark.json).")
  GeneIdType geneIdType = GeneIdType.ENSEMBL;

  @Option(
      names = "--modality",
      paramLabel = "NAME",
      description =
          "MuData (.h5mu) inputs: the modality holding gene expression counts. Default: rna.")
  String modality;

  @Option(
      names = "--genome",
      paramLabel = "NAME",
      description =
          "Cell Ranger .h5 inputs of several genomes (a mixed-species experiment): the genome to"
              + " tokenize.")
  String genome;

  @Option(
      names = "--cross-species",
      description =
          "Map gene symbols of another organism (mouse-style Cd3e) onto the vocabulary's genes by"
              + " upper-casing them; refused otherwise. Same-named genes only: for real orthologs"
              + " map the IDs first.")
  boolean crossSpecies;

  @Option(
      names = "--model-input-size",
      paramLabel = "N",
      description =
          "Tokens per cell including <cls>/<eos>; 0 = 4096 with special tokens (V2), 2048 without"
              + " (V1).")
  int modelInputSize;

  @Option(
      names = "--output-format",
      paramLabel = "parquet|dataset",
      description =
          "parquet, or dataset: a Hugging Face dataset as save_to_disk writes it, which upstream"
              + " Geneformer's classes open with load_from_disk.")
  OutputFormat outputFormat = OutputFormat.PARQUET;

  @Option(
      names = "--special-tokens",
      paramLabel = "auto|on|off",
      description = "Frame cells with <cls> ... <eos>; auto = when the vocabulary has both (V2).")
  SpecialTokens specialTokens = SpecialTokens.AUTO;

  @Option(
      names = "--attribute",
      paramLabel = "OBS_COLUMN[=OUT_COLUMN]",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description = "obs column to copy into the output, optionally renamed (repeatable).")
  List<String> attributes = new ArrayList<>();

  @Option(
      names = "--n-counts-column",
      paramLabel = "COLUMN",
      description =
          "obs column with each cell's total count; computed from the counts when absent.")
  String nCountsColumn = TokenizeOptions.DEFAULT_N_COUNTS_COLUMN;

  @Option(
      names = "--filter-pass-column",
      paramLabel = "COLUMN",
      description = "obs column; when present only cells where it is 1 are kept.")
  String filterPassColumn = TokenizeOptions.DEFAULT_FILTER_PASS_COLUMN;

  @Option(
      names = "--no-filter-pass",
      description = "Keep every cell, ignoring the filter-pass column.")
  boolean noFilterPass;

  @Option(
      names = "--min-gene-match",
      paramLabel = "FRACTION",
      description = "Minimum fraction of the vocabulary's genes each input must contain.")
  double minGeneMatch = TokenizeOptions.DEFAULT_MIN_GENE_MATCH;

  @Option(
      names = "--allow-non-integer",
      description = "Accept non-integer counts (otherwise refused as normalised data).")
  boolean allowNonInteger;

  @Option(
      names = "--keep-counts",
      description =
          "Also write each cell's depth-normalised counts (count / n_counts x 10,000) aligned"
              + " with its tokens, in a counts column (0 at <cls> and <eos>) [keep_counts].")
  boolean keepCounts;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Exact number of read partitions; 0 = planned from the data size.")
  int partitions;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    TokenizeOptions.Builder b =
        TokenizeOptions.builder()
            .input(inputs.toArray(new String[0]))
            .output(output)
            .outputFormat(outputFormat)
            .vocabulary(vocabulary)
            .counts(counts)
            .geneIdColumn(geneIdColumn)
            .geneIdType(geneIdType)
            .cellTable(cellTable)
            .modelInputSize(modelInputSize)
            .specialTokens(specialTokens)
            .nCountsColumn(nCountsColumn)
            .filterPassColumn(filterPassColumn)
            .useFilterPass(!noFilterPass)
            .minGeneMatch(minGeneMatch)
            .allowNonInteger(allowNonInteger)
            .overwrite(overwrite)
            .partitions(partitions)
            .modality(modality)
            .genome(genome)
            .crossSpecies(crossSpecies)
            .keepCounts(keepCounts);
    attributes.forEach(b::attribute);
    TokenizeOptions options = b.build(); // validated before Spark starts
    try (SparkArgs.Session s = sparkArgs.session("cellspark tokenize")) {
      TokenizeResult r = TokenizeJob.run(s.spark(), options);
      print(spec.commandLine().getOut(), r);
    }
    return Main.OK;
  }

  static void print(PrintWriter out, TokenizeResult r) {
    out.printf(
        Locale.ROOT,
        "tokenized %,d of %,d cells into %s (%.1f s, %,.0f cells/s)%n",
        r.cellsWritten(),
        r.cellsRead(),
        r.output(),
        r.seconds(),
        r.cellsPerSecond());
    out.printf(
        Locale.ROOT,
        "  dropped: %,d by filter_pass, %,d with no vocabulary gene; %,d truncated to the input"
            + " size%n",
        r.droppedFilterPass(),
        r.droppedEmpty(),
        r.truncated());
    if (r.nCountsComputed() > 0) {
      out.printf(
          Locale.ROOT,
          "  n_counts computed from the counts for %,d cells (no n_counts obs column)%n",
          r.nCountsComputed());
    }
    out.flush();
  }
}
