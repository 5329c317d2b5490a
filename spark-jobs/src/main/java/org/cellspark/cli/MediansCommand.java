package org.cellspark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cellspark.jobs.medians.MediansJob;
import org.cellspark.jobs.medians.MediansOptions;
import org.cellspark.jobs.medians.MediansResult;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "medians",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Build a Geneformer vocabulary for a new corpus: gene medians and dictionaries.",
      "Each gene's non-zero median of count / n_counts x 10,000 over the atlases' cells, written as"
          + " token, median and gene-name dictionaries (pickles, and TSV in tsv/) that tokenize"
          + " reads."
    })
final class MediansCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      required = true,
      split = ",",
      paramLabel = "FILES",
      description =
          ".h5ad, .loom or Cell Ranger .h5 files, AnnData .zarr stores, folders or globs of them,"
              + " Matrix Market folders,"
              + " Parquet long tables; local or s3a:// / gs:// / hdfs:// (repeatable).")
  List<String> inputs = new ArrayList<>();

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "The vocabulary folder to write.")
  String output;

  @Option(
      names = "--genes",
      paramLabel = "TSV",
      description =
          "Keep only these genes: Ensembl ID per line, optional symbol in a second column.")
  String genes;

  @Option(
      names = "--min-cells",
      paramLabel = "N",
      description = "Leave out genes detected in fewer cells.")
  long minCells = 1;

  @Option(names = "--special-tokens", description = "Add <cls> and <eos> (a V2-style vocabulary).")
  boolean specialTokens;

  @Option(
      names = "--approximate",
      description =
          "Approximate medians (Spark's percentile_approx, rank error <= n / 100,000) for very"
              + " large corpora.")
  boolean approximate;

  @Option(
      names = "--counts",
      paramLabel = "X|raw|layers/NAME",
      description = "Where the raw counts are.")
  String counts = TokenizeOptions.DEFAULT_COUNTS;

  @Option(
      names = "--gene-id-column",
      paramLabel = "NAME",
      description =
          "Gene table column (loom: row attribute) with Ensembl IDs. Default: ensembl_id (loom:"
              + " else Accession), falling back to an Ensembl-looking index. For .h5ad, .h5mu and"
              + " loom inputs only (refused for formats whose IDs have one place).")
  String geneIdColumn;

  @Option(
      names = "--gene-name-column",
      paramLabel = "NAME",
      description =
          "Gene table column with symbols; default: the index when the IDs are in a column.")
  String geneNameColumn;

  @Option(
      names = "--n-counts-column",
      paramLabel = "NAME",
      description = "obs column with each cell's total count; computed when absent.")
  String nCountsColumn = TokenizeOptions.DEFAULT_N_COUNTS_COLUMN;

  @Option(
      names = "--filter-pass-column",
      paramLabel = "NAME",
      description = "obs column; only cells where it is 1 count, when present.")
  String filterPassColumn = TokenizeOptions.DEFAULT_FILTER_PASS_COLUMN;

  @Option(
      names = "--modality",
      paramLabel = "NAME",
      description = "MuData (.h5mu) inputs: the modality holding gene expression. Default: rna.")
  String modality;

  @Option(
      names = "--genome",
      paramLabel = "NAME",
      description =
          "Cell Ranger .h5 inputs of several genomes (mixed species): the genome to read.")
  String genome;

  @Option(
      names = "--cell-table",
      paramLabel = "PARQUET",
      description =
          "For Parquet long-table inputs (cell_id, gene_id, count): a table of cell attributes"
              + " keyed by cell_id (n_counts, filter_pass); without it, the long table's own"
              + " columns.")
  String cellTable;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Mixin SparkArgs sparkArgs;

  @Override
  public Integer call() {
    MediansOptions options =
        MediansOptions.builder()
            .inputs(inputs)
            .output(output)
            .genesFile(genes)
            .minCells(minCells)
            .specialTokens(specialTokens)
            .approximate(approximate)
            .counts(counts)
            .geneIdColumn(geneIdColumn)
            .geneNameColumn(geneNameColumn)
            .nCountsColumn(nCountsColumn)
            .filterPassColumn(filterPassColumn)
            .overwrite(overwrite)
            .modality(modality)
            .genome(genome)
            .cellTable(cellTable)
            .build();
    try (SparkArgs.Session s = sparkArgs.session("cellspark medians")) {
      MediansResult r = MediansJob.run(s.spark(), options);
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "vocabulary of %,d genes (of %,d detected) from %,d cells into %s (%.1f s)%n",
              r.genesWritten(),
              r.genesDetected(),
              r.cells(),
              r.output(),
              r.seconds());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }
}
