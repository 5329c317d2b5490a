package org.cellspark.infer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a set of cells into batches for the encoder. Cells are sorted by length (longest first, ties
 * in input order) and taken greedily while {@code cells x longest <= budget} tokens and each cell
 * is within {@link #MAX_PADDING} of the batch's longest: every batch is padded only to its own
 * longest cell, padding stays under 5% of the tokens processed, and a batch's memory is bounded by
 * the budget whatever the cell lengths. A cell longer than the budget gets a batch of its own.
 * Empty cells are left out (they have no embedding).
 */
public final class LengthBatcher {
  /**
   * A cell joins a batch only if padding it to the batch's longest cell costs at most this fraction
   * of that length. Padding is paid twice in attention (length squared), so a batch of near-equal
   * cells beats a fuller one with long tails, on CPUs as on GPUs.
   */
  public static final double MAX_PADDING = 0.05;

  private LengthBatcher() {}

  /**
   * One batch: positions (into the input list) of its cells, longest first, and the padded length.
   */
  public record Batch(int[] cells, int paddedLength) {
    public long paddedTokens() {
      return (long) cells.length * paddedLength;
    }
  }

  /** Length-grouped batches (the fast path). */
  public static List<Batch> byLength(int[] lengths, long tokenBudget) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) ->
            lengths[a] != lengths[b]
                ? Integer.compare(lengths[b], lengths[a])
                : Integer.compare(a, b));
    return cut(order, lengths, tokenBudget, MAX_PADDING);
  }

  /** Batches in arrival order (upstream's way without sorting): for comparison only. */
  public static List<Batch> inArrivalOrder(int[] lengths, long tokenBudget) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    return cut(order, lengths, tokenBudget, 1.0);
  }

  private static List<Batch> cut(Integer[] order, int[] lengths, long budget, double maxPadding) {
    List<Batch> out = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    int longest = 0;
    for (int i : order) {
      int len = lengths[i];
      if (len == 0) {
        continue;
      }
      int newLongest = Math.max(longest, len);
      boolean tooShort = len < (1 - maxPadding) * newLongest; // only possible when sorted
      if (!current.isEmpty() && ((long) (current.size() + 1) * newLongest > budget || tooShort)) {
        out.add(batch(current, longest));
        current.clear();
        newLongest = len;
      }
      current.add(i);
      longest = newLongest;
    }
    if (!current.isEmpty()) {
      out.add(batch(current, longest));
    }
    return out;
  }

  private static Batch batch(List<Integer> cells, int longest) {
    return new Batch(cells.stream().mapToInt(Integer::intValue).toArray(), longest);
  }

  /** Pad tokens / tokens processed, over a set of batches. */
  public static double paddingFraction(List<Batch> batches, int[] lengths) {
    long padded = 0;
    long real = 0;
    for (Batch b : batches) {
      padded += b.paddedTokens();
      for (int c : b.cells()) {
        real += lengths[c];
      }
    }
    return padded == 0 ? 0 : (double) (padded - real) / padded;
  }
}
