package org.cellspark.train;

import java.util.List;

/**
 * Cells a {@link Classifier} trains on or is scored on: their tokens, in one order (with whatever
 * labels the classifier needs beside them); batches are cut by length.
 */
public interface Examples {
  /** Each cell's tokens. */
  List<int[]> tokens();

  default int size() {
    return tokens().size();
  }

  /** Each cell's token count, in the examples' order. */
  default int[] lengths() {
    return tokens().stream().mapToInt(t -> t.length).toArray();
  }
}
