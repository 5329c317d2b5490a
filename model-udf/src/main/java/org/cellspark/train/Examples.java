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

  /** Cell {@code cell}'s token count (a compact cell's without decoding it). */
  default int length(int cell) {
    return tokens() instanceof CompactTokens compact
        ? compact.length(cell)
        : tokens().get(cell).length;
  }

  /** Each cell's token count, in the examples' order. */
  default int[] lengths() {
    int[] out = new int[size()];
    for (int c = 0; c < out.length; c++) {
      out[c] = length(c);
    }
    return out;
  }

  /** The longest of the cells at {@code chosen}: a batch's padded length. */
  default int longest(int[] chosen) {
    int longest = 0;
    for (int c : chosen) {
      longest = Math.max(longest, length(c));
    }
    return longest;
  }

  /**
   * {@code tokens} as examples keep them: unchanged when compact (already unmodifiable; a copy
   * would decode every cell), else an unmodifiable copy.
   */
  static List<int[]> kept(List<int[]> tokens) {
    return tokens instanceof CompactTokens ? tokens : List.copyOf(tokens);
  }
}
