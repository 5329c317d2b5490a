package org.cellspark.io.cells;

import java.io.Serializable;
import org.cellspark.error.UserException;

/**
 * Where an AnnData file keeps the counts to read, and which gene table goes with them: {@code X}
 * (genes in {@code var}), {@code raw} ({@code raw/X}, genes in {@code raw/var}) or {@code
 * layers/NAME} (genes in {@code var}); in a MuData file, within which modality's AnnData ({@code
 * mod/<modality>}). Paths are relative to the AnnData, i.e. to the modality in a MuData file.
 *
 * @param modality the MuData modality to read; null = {@code rna} when the file is MuData (and
 *     nothing for plain AnnData)
 */
public record CountsLocation(String spelling, String matrixPath, String varPath, String modality)
    implements Serializable {

  public static final CountsLocation X = new CountsLocation("X", "X", "var", null);

  public static CountsLocation parse(String spelling) {
    if (spelling == null || spelling.isBlank() || spelling.equals("X")) {
      return X;
    }
    if (spelling.equals("raw") || spelling.equals("raw/X")) {
      return new CountsLocation("raw", "raw/X", "raw/var", null);
    }
    if (spelling.startsWith("layers/") && spelling.length() > "layers/".length()) {
      return new CountsLocation(spelling, spelling, "var", null);
    }
    throw UserException.of(
        "--counts '%s' is not a counts location; use X, raw or layers/<name>", spelling);
  }

  /**
   * What to say to a user whose {@code --counts} names no matrix, given the locations the file has
   * ({@code X}, {@code raw}, {@code layers/NAME}): one of them to pass, {@code layers/counts} first
   * (R's anndataR writes a Seurat object's counts there and no X).
   */
  public static String suggestion(java.util.List<String> available) {
    if (available.isEmpty()) {
      return "The file holds no counts matrix (X, raw/X or a layer).";
    }
    String first = available.contains("layers/counts") ? "layers/counts" : available.get(0);
    return "Choose one with --counts " + first + (available.size() > 1 ? " (or another)." : ".");
  }

  /** The same location within the given MuData modality (null or blank: the default). */
  public CountsLocation withModality(String name) {
    return new CountsLocation(
        spelling, matrixPath, varPath, name == null || name.isBlank() ? null : name.trim());
  }

  @Override
  public String toString() {
    return spelling;
  }
}
