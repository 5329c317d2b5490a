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
    return tokens() instanceof CompactTokens compact
        ? compact.lengths()
        : tokens().stream().mapToInt(t -> t.length).toArray();
  }

  /**
   * {@code tokens} as examples keep them: unchanged when compact (already unmodifiable; a copy
   * would decode every cell), else an unmodifiable copy.
   */
  static List<int[]> kept(List<int[]> tokens) {
    return tokens instanceof CompactTokens ? tokens : List.copyOf(tokens);
  }
}
