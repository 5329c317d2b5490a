package org.cellspark.train;

import java.util.List;

/** Cells' tokens and their class numbers (0 to classes-1), in one order. */
public record LabelledCells(List<int[]> tokens, int[] labels) implements Examples {
  public LabelledCells {
    if (tokens.size() != labels.length) {
      throw new IllegalArgumentException(tokens.size() + " cells but " + labels.length + " labels");
    }
    tokens = Examples.kept(tokens);
    labels = labels.clone();
  }
}
