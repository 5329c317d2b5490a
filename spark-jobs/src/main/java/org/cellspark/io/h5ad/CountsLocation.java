package org.cellspark.io.h5ad;

import java.io.Serializable;
import org.cellspark.error.UserException;

/**
 * Where an AnnData file keeps the counts to read, and which gene table goes with them:
 * {@code X} (genes in {@code var}), {@code raw} ({@code raw/X}, genes in {@code raw/var}) or
 * {@code layers/NAME} (genes in {@code var}).
 */
public record CountsLocation(String spelling, String matrixPath, String varPath) implements Serializable {

  public static final CountsLocation X = new CountsLocation("X", "X", "var");

  public static CountsLocation parse(String spelling) {
    if (spelling == null || spelling.isBlank() || spelling.equals("X")) {
      return X;
    }
    if (spelling.equals("raw") || spelling.equals("raw/X")) {
      return new CountsLocation("raw", "raw/X", "raw/var");
    }
    if (spelling.startsWith("layers/") && spelling.length() > "layers/".length()) {
      return new CountsLocation(spelling, spelling, "var");
    }
    throw UserException.of(
        "--counts '%s' is not a counts location; use X, raw or layers/<name>", spelling);
  }

  @Override
  public String toString() {
    return spelling;
  }
}
