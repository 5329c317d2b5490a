package org.cellspark.jobs.medians;

import java.util.List;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.tokenize.TokenizeOptions;

/**
 * What `cellspark medians` was asked to build.
 *
 * @param inputs atlases (.h5ad files, folders, globs)
 * @param output the vocabulary folder to write
 * @param genesFile optional TSV: the genes to keep (Ensembl ID first, optional symbol second)
 * @param minCells genes detected (non-zero) in fewer cells are left out
 * @param specialTokens add {@code <cls>} and {@code <eos>} (a V2-style vocabulary)
 * @param approximate per-gene medians from Spark's percentile_approx instead of exact ones
 * @param counts where the counts are (X, raw, layers/NAME)
 * @param geneIdColumn gene table column holding Ensembl IDs; null = ensembl_id (loom: else
 *     Accession), falling back to an Ensembl-looking index. Refused for inputs whose IDs have a
 *     fixed place (Cell Ranger, Matrix Market, long tables)
 * @param geneNameColumn gene table column holding symbols; null = the index when IDs come from a
 *     column
 * @param nCountsColumn obs column with each cell's total count; computed when absent
 * @param filterPassColumn obs column; only cells where it is 1 count, when present
 * @param overwrite replace an existing output folder
 * @param modality the modality of MuData inputs to read; null = rna
 * @param genome the genome of Cell Ranger inputs holding several; null = the only one
 * @param cellTable for Parquet long-table inputs, a table of cell attributes keyed by cell_id
 *     (n_counts, filter_pass); null = the long table's own columns
 */
public record MediansOptions(
    List<String> inputs,
    String output,
    String genesFile,
    long minCells,
    boolean specialTokens,
    boolean approximate,
    String counts,
    String geneIdColumn,
    String geneNameColumn,
    String nCountsColumn,
    String filterPassColumn,
    boolean overwrite,
    String modality,
    String genome,
    String cellTable) {

  /** percentile_approx's accuracy: the rank error is at most (cells of the gene) / ACCURACY. */
  public static final int APPROX_ACCURACY = 100_000;

  public MediansOptions {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    OptionProblems problems = new OptionProblems();
    if (inputs.isEmpty()) {
      problems.add("--input is required (.h5ad files, folders or globs)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required (the vocabulary folder to write)");
    }
    if (minCells < 1) {
      problems.add("--min-cells must be at least 1, got " + minCells);
    }
    problems.throwIfAny();
  }

  /**
   * The gene ID column to read: the one given, else {@link TokenizeOptions#DEFAULT_GENE_ID_COLUMN}.
   */
  public String geneIdColumnOrDefault() {
    return geneIdColumn == null ? TokenizeOptions.DEFAULT_GENE_ID_COLUMN : geneIdColumn;
  }

  public static MediansOptions of(List<String> inputs, String output) {
    return builder().inputs(inputs).output(output).build();
  }

  public MediansOptions withGenes(String file, long cells) {
    return toBuilder().genesFile(file).minCells(cells).build();
  }

  public MediansOptions withSpecialTokens(boolean special) {
    return toBuilder().specialTokens(special).build();
  }

  public MediansOptions withApproximate(boolean approx) {
    return toBuilder().approximate(approx).build();
  }

  public MediansOptions withInputChoices(String mod, String gen) {
    return toBuilder().modality(mod).genome(gen).build();
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
    b.inputs = inputs;
    b.output = output;
    b.genesFile = genesFile;
    b.minCells = minCells;
    b.specialTokens = specialTokens;
    b.approximate = approximate;
    b.counts = counts;
    b.geneIdColumn = geneIdColumn;
    b.geneNameColumn = geneNameColumn;
    b.nCountsColumn = nCountsColumn;
    b.filterPassColumn = filterPassColumn;
    b.overwrite = overwrite;
    b.modality = modality;
    b.genome = genome;
    b.cellTable = cellTable;
    return b;
  }

  /** The options by name; unset ones keep their defaults. */
  public static final class Builder {
    private List<String> inputs;
    private String output;
    private String genesFile;
    private long minCells = 1;
    private boolean specialTokens;
    private boolean approximate;
    private String counts = TokenizeOptions.DEFAULT_COUNTS;
    private String geneIdColumn;
    private String geneNameColumn;
    private String nCountsColumn = TokenizeOptions.DEFAULT_N_COUNTS_COLUMN;
    private String filterPassColumn = TokenizeOptions.DEFAULT_FILTER_PASS_COLUMN;
    private boolean overwrite;
    private String modality;
    private String genome;
    private String cellTable;

    private Builder() {}

    public Builder inputs(List<String> v) {
      inputs = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder genesFile(String v) {
      genesFile = v;
      return this;
    }

    public Builder minCells(long v) {
      minCells = v;
      return this;
    }

    public Builder specialTokens(boolean v) {
      specialTokens = v;
      return this;
    }

    public Builder approximate(boolean v) {
      approximate = v;
      return this;
    }

    public Builder counts(String v) {
      counts = v;
      return this;
    }

    public Builder geneIdColumn(String v) {
      geneIdColumn = v;
      return this;
    }

    public Builder geneNameColumn(String v) {
      geneNameColumn = v;
      return this;
    }

    public Builder nCountsColumn(String v) {
      nCountsColumn = v;
      return this;
    }

    public Builder filterPassColumn(String v) {
      filterPassColumn = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder modality(String v) {
      modality = v;
      return this;
    }

    public Builder genome(String v) {
      genome = v;
      return this;
    }

    public Builder cellTable(String v) {
      cellTable = v;
      return this;
    }

    public MediansOptions build() {
      return new MediansOptions(
          inputs,
          output,
          genesFile,
          minCells,
          specialTokens,
          approximate,
          counts,
          geneIdColumn,
          geneNameColumn,
          nCountsColumn,
          filterPassColumn,
          overwrite,
          modality,
          genome,
          cellTable);
    }
  }
}
