package org.cellspark.jobs.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.cellspark.encode.EncodingSettings.SpecialTokens;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.OptionProblems;

/**
 * Everything {@code cellspark tokenize} needs, validated at construction so that every problem is
 * reported at once and before Spark starts.
 *
 * @param inputs files, folders or globs of .h5ad files (comma lists allowed)
 * @param output output folder (Parquet + _cellspark.json)
 * @param outputFormat Parquet, or a Hugging Face dataset (save_to_disk's layout)
 * @param vocabulary vocabulary folder, or {@code builtin:geneformer-v1}
 * @param counts where the raw counts are: X, raw, or layers/NAME
 * @param geneIdColumn gene table column holding the gene IDs; null = the format's default (Ensembl
 *     IDs: {@code ensembl_id}; symbols: the h5ad gene index, loom's {@code Gene} attribute)
 * @param geneIdType what the gene IDs are: Ensembl IDs or gene symbols
 * @param modelInputSize tokens per cell including special tokens; 0 = 4096 with special tokens,
 *     2048 without
 * @param attributes obs columns copied to the output
 * @param nCountsColumn obs column with each cell's total count; computed when absent
 * @param filterPassColumn obs column; only cells where it is 1 are kept, when present
 * @param useFilterPass false to ignore the filter-pass column
 * @param minGeneMatch fraction of the vocabulary's genes an input must contain
 * @param allowNonInteger accept non-integer counts (otherwise: normalised data, an error)
 * @param overwrite replace an existing output
 * @param partitions exact number of read partitions, 0 = planned from the data size
 * @param cellTable Parquet table of cell attributes (cell_id + columns) for long-table inputs, or
 *     null
 * @param modality the modality of MuData (.h5mu) inputs to read; null = rna
 * @param genome the genome of Cell Ranger inputs holding several; null = the only one
 * @param crossSpecies map gene symbols of another organism onto the vocabulary's by upper-casing
 *     them (refused otherwise, when the symbols are evidently another organism's)
 * @param keepCounts also write each cell's depth-normalised counts aligned with its tokens, in a
 *     {@code counts} column (upstream's keep_counts)
 */
public record TokenizeOptions(
    List<String> inputs,
    String output,
    OutputFormat outputFormat,
    String vocabulary,
    String counts,
    String geneIdColumn,
    GeneIdType geneIdType,
    int modelInputSize,
    SpecialTokens specialTokens,
    List<Attribute> attributes,
    String nCountsColumn,
    String filterPassColumn,
    boolean useFilterPass,
    double minGeneMatch,
    boolean allowNonInteger,
    boolean overwrite,
    int partitions,
    String cellTable,
    String modality,
    String genome,
    boolean crossSpecies,
    boolean keepCounts) {

  public static final String DEFAULT_COUNTS = "X";
  public static final String DEFAULT_GENE_ID_COLUMN = "ensembl_id";
  public static final String DEFAULT_N_COUNTS_COLUMN = "n_counts";
  public static final String DEFAULT_FILTER_PASS_COLUMN = "filter_pass";
  public static final double DEFAULT_MIN_GENE_MATCH = 0.5;

  /**
   * Output columns the job always writes; attributes may not take these names (nor, with
   * --keep-counts, {@value #COUNTS_COLUMN}).
   */
  public static final Set<String> RESERVED_COLUMNS =
      Set.of("cell_id", "input_ids", "length", "n_counts", "source");

  /** The column {@code --keep-counts} writes: a float per token, aligned with input_ids. */
  public static final String COUNTS_COLUMN = "counts";

  /** An obs column to copy into the output, optionally renamed: {@code obs_col[=out_col]}. */
  public record Attribute(String obsColumn, String outputColumn) implements Serializable {
    public static Attribute parse(String spec) {
      int eq = spec.indexOf('=');
      String obs = (eq < 0 ? spec : spec.substring(0, eq)).trim();
      String out = (eq < 0 ? obs : spec.substring(eq + 1)).trim();
      if (obs.isEmpty() || out.isEmpty()) {
        throw UserException.of(
            "--attribute '%s' must be obs_column or obs_column=output_column", spec);
      }
      return new Attribute(obs, out);
    }
  }

  /**
   * The gene table column to read: the one given, else {@code ensembl_id} for Ensembl IDs (null
   * with symbols: the format's default). {@link #geneIdColumn()} stays null when the user gave
   * none, so formats whose gene IDs have a fixed place can refuse the option instead of ignoring
   * it.
   */
  public String geneIdColumnOrDefault() {
    return geneIdColumn == null && geneIdType == GeneIdType.ENSEMBL
        ? DEFAULT_GENE_ID_COLUMN
        : geneIdColumn;
  }

  public TokenizeOptions {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    outputFormat = outputFormat == null ? OutputFormat.PARQUET : outputFormat;
    geneIdType = geneIdType == null ? GeneIdType.ENSEMBL : geneIdType;
    attributes = attributes == null ? List.of() : List.copyOf(attributes);
    OptionProblems problems = new OptionProblems();
    if (inputs.isEmpty()) {
      problems.add("--input is required (files, folders or globs of .h5ad files)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required (a folder for the token Parquet)");
    }
    if (vocabulary == null || vocabulary.isBlank()) {
      problems.add(
          "--vocabulary is required (a folder of Geneformer dictionaries, or"
              + " builtin:geneformer-v1)");
    }
    if (modelInputSize < 0) {
      problems.add("--model-input-size must be positive, got " + modelInputSize);
    }
    if (!(minGeneMatch >= 0 && minGeneMatch <= 1)) {
      problems.add("--min-gene-match must be between 0 and 1, got " + minGeneMatch);
    }
    if (partitions < 0) {
      problems.add("--partitions must be positive, got " + partitions);
    }
    if (specialTokens == null) {
      problems.add("--special-tokens must be auto, on or off");
    }
    Set<String> names = new HashSet<>();
    for (Attribute a : attributes) {
      if (RESERVED_COLUMNS.contains(a.outputColumn())
          || keepCounts && a.outputColumn().equals(COUNTS_COLUMN)) {
        problems.add(
            String.format(
                Locale.ROOT,
                "--attribute %s would overwrite the output column '%s'; rename it with %s=<new"
                    + " name>",
                a.obsColumn(),
                a.outputColumn(),
                a.obsColumn()));
      } else if (!names.add(a.outputColumn())) {
        problems.add("--attribute output column '" + a.outputColumn() + "' is given twice");
      }
    }
    problems.throwIfAny();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** For the Java API and tests: defaults as the CLI's. */
  public static final class Builder {
    private List<String> inputs = new ArrayList<>();
    private String output;
    private OutputFormat outputFormat = OutputFormat.PARQUET;
    private String vocabulary;
    private String counts = DEFAULT_COUNTS;
    private String geneIdColumn;
    private GeneIdType geneIdType = GeneIdType.ENSEMBL;
    private int modelInputSize;
    private SpecialTokens specialTokens = SpecialTokens.AUTO;
    private List<Attribute> attributes = new ArrayList<>();
    private String nCountsColumn = DEFAULT_N_COUNTS_COLUMN;
    private String filterPassColumn = DEFAULT_FILTER_PASS_COLUMN;
    private boolean useFilterPass = true;
    private double minGeneMatch = DEFAULT_MIN_GENE_MATCH;
    private boolean allowNonInteger;
    private boolean overwrite;
    private int partitions;
    private String cellTable;
    private String modality;
    private String genome;
    private boolean crossSpecies;
    private boolean keepCounts;

    public Builder input(String... specs) {
      inputs.addAll(List.of(specs));
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder outputFormat(OutputFormat v) {
      outputFormat = v;
      return this;
    }

    public Builder vocabulary(String v) {
      vocabulary = v;
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

    public Builder geneIdType(GeneIdType v) {
      geneIdType = v;
      return this;
    }

    public Builder modelInputSize(int v) {
      modelInputSize = v;
      return this;
    }

    public Builder specialTokens(SpecialTokens v) {
      specialTokens = v;
      return this;
    }

    public Builder attribute(String spec) {
      attributes.add(Attribute.parse(spec));
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

    public Builder useFilterPass(boolean v) {
      useFilterPass = v;
      return this;
    }

    public Builder minGeneMatch(double v) {
      minGeneMatch = v;
      return this;
    }

    public Builder allowNonInteger(boolean v) {
      allowNonInteger = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public Builder cellTable(String v) {
      cellTable = v;
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

    public Builder crossSpecies(boolean v) {
      crossSpecies = v;
      return this;
    }

    public Builder keepCounts(boolean v) {
      keepCounts = v;
      return this;
    }

    public TokenizeOptions build() {
      return new TokenizeOptions(
          inputs,
          output,
          outputFormat,
          vocabulary,
          counts,
          geneIdColumn,
          geneIdType,
          modelInputSize,
          specialTokens,
          attributes,
          nCountsColumn,
          filterPassColumn,
          useFilterPass,
          minGeneMatch,
          allowNonInteger,
          overwrite,
          partitions,
          cellTable,
          modality,
          genome,
          crossSpecies,
          keepCounts);
    }
  }
}
