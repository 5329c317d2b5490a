package org.cellspark.jobs.medians;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;

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
 * @param geneIdColumn gene table column holding Ensembl IDs (else an Ensembl-looking index)
 * @param geneNameColumn gene table column holding symbols; null = the index when IDs come from a column
 * @param nCountsColumn obs column with each cell's total count; computed when absent
 * @param filterPassColumn obs column; only cells where it is 1 count, when present
 * @param overwrite replace an existing output folder
 * @param modality the modality of MuData inputs to read; null = rna
 * @param genome the genome of Cell Ranger inputs holding several; null = the only one
 */
public record MediansOptions(
    List<String> inputs, String output, String genesFile, long minCells, boolean specialTokens, boolean approximate,
    String counts, String geneIdColumn, String geneNameColumn, String nCountsColumn, String filterPassColumn, boolean overwrite,
    String modality, String genome) {

  /** percentile_approx's accuracy: the rank error is at most (cells of the gene) / ACCURACY. */
  public static final int APPROX_ACCURACY = 100_000;

  public MediansOptions {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    List<String> problems = new ArrayList<>();
    if (inputs.isEmpty()) {
      problems.add("--input is required (.h5ad files, folders or globs)");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required (the vocabulary folder to write)");
    }
    if (minCells < 1) {
      problems.add("--min-cells must be at least 1, got " + minCells);
    }
    if (!problems.isEmpty()) {
      throw UserException.of("%s", String.join("; ", problems));
    }
  }

  public static MediansOptions of(List<String> inputs, String output) {
    return new MediansOptions(inputs, output, null, 1, false, false, "X", "ensembl_id", null, "n_counts", "filter_pass", false, null, null);
  }

  public MediansOptions withGenes(String file, long cells) {
    return new MediansOptions(inputs, output, file, cells, specialTokens, approximate, counts, geneIdColumn, geneNameColumn,
        nCountsColumn, filterPassColumn, overwrite, modality, genome);
  }

  public MediansOptions withSpecialTokens(boolean special) {
    return new MediansOptions(inputs, output, genesFile, minCells, special, approximate, counts, geneIdColumn, geneNameColumn,
        nCountsColumn, filterPassColumn, overwrite, modality, genome);
  }

  public MediansOptions withApproximate(boolean approx) {
    return new MediansOptions(inputs, output, genesFile, minCells, specialTokens, approx, counts, geneIdColumn, geneNameColumn,
        nCountsColumn, filterPassColumn, overwrite, modality, genome);
  }

  public MediansOptions withInputChoices(String mod, String gen) {
    return new MediansOptions(inputs, output, genesFile, minCells, specialTokens, approximate, counts, geneIdColumn, geneNameColumn,
        nCountsColumn, filterPassColumn, overwrite, mod, gen);
  }
}
