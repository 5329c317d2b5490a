package org.cellspark.encode;

import java.util.Arrays;

/**
 * Geneformer's rank-value encoding of one cell: each vocabulary gene's count is depth-normalised
 * and divided by the gene's non-zero median, {@code v = x / n_counts * 10000 / median} (float64, in
 * that order, as upstream); genes with {@code v == 0} are dropped; the rest are ranked by {@code v}
 * descending, ties in input gene order; the top genes are kept and, for V2, framed by {@code <cls>}
 * and {@code <eos>}.
 *
 * <p>Holds scratch buffers, so one instance per thread; not thread-safe.
 */
public final class RankValueEncoder {
  /** Upstream's fixed {@code target_sum}. */
  public static final double TARGET_SUM = 10_000d;

  private final EncodingSettings settings;

  // Per-slot accumulators, valid for slots whose mark equals the current epoch: clearing them per
  // cell would cost O(vocabulary) instead of O(detected genes).
  private double[] sum = new double[0];
  private int[] mark = new int[0];
  private int epoch;
  private int[] touched = new int[256];
  private long[] keys = new long[256];
  private double[] value = new double[0]; // v by slot, valid for this cell's kept slots
  private int lastRanked;
  private double lastNCounts;

  /**
   * The ranking sorts one primitive long per gene: the bits of -v (an ordered bit pattern for v >
   * 0) with the slot number in the lowest 18 bits. Only the top 33 bits (sign-free exponent and 21
   * mantissa bits) are radix-sorted, in three stable 11-bit passes: four times faster than a
   * comparison sort of 2,000 genes, the typical cell. Genes whose values agree in those bits (exact
   * ties, or values within a relative 5e-7) end up adjacent; each such run is then re-sorted
   * exactly on (v descending, slot ascending), so the result is the exact order.
   */
  static final int SLOT_BITS = 18;

  /** Most vocabulary genes one input can match (Geneformer's vocabularies hold ~20-25k). */
  public static final int MAX_GENES = 1 << SLOT_BITS;

  private static final int RADIX_FROM_BIT = 31;
  private static final int DIGIT_BITS = 11;
  private static final int DIGIT_MASK = (1 << DIGIT_BITS) - 1;

  /** Below this many genes a comparison sort beats the radix passes' fixed cost. */
  private static final int RADIX_MIN = 192;

  private long[] radixBuffer = new long[256];
  private final int[] digitCounts = new int[1 << DIGIT_BITS];

  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;

  public RankValueEncoder(EncodingSettings settings) {
    this.settings = settings;
  }

  public EncodingSettings settings() {
    return settings;
  }

  /**
   * Encodes one cell.
   *
   * @param mapping the cell's file's gene mapping
   * @param columns matrix column (input gene) of each stored value; only the first {@code n} are
   *     read
   * @param counts the stored values (raw counts), aligned with {@code columns}
   * @param n number of stored values
   * @param nCounts the cell's total count (upstream's {@code n_counts}), positive
   * @return the token ids; empty when no vocabulary gene is detected (no special tokens then
   *     either)
   */
  public int[] encode(
      GeneIndexMapping mapping, int[] columns, double[] counts, int n, double nCounts) {
    int[] columnSlot = mapping.columnSlots();
    int slots = mapping.matchedGenes();
    if (sum.length < slots) {
      sum = new double[slots];
      mark = new int[slots];
      epoch = 0;
    }
    if (++epoch == Integer.MAX_VALUE) {
      Arrays.fill(mark, 0);
      epoch = 1;
    }
    int detected = 0;
    for (int k = 0; k < n; k++) {
      int slot = columnSlot[columns[k]];
      if (slot < 0) {
        continue;
      }
      if (mark[slot] != epoch) {
        mark[slot] = epoch;
        sum[slot] = counts[k];
        if (detected == touched.length) {
          grow();
        }
        touched[detected++] = slot;
      } else {
        sum[slot] += counts[k]; // IDs collapsing onto one gene: counts are summed first
      }
    }

    double[] median = mapping.slotMedians();
    if (value.length < slots) {
      value = new double[slots];
    }
    int kept = 0;
    for (int i = 0; i < detected; i++) {
      int slot = touched[i];
      double v = sum[slot] / nCounts * TARGET_SUM / median[slot];
      if (v != 0) {
        value[slot] = v;
        keys[kept++] = key(v, slot);
      }
    }
    lastRanked = kept;
    lastNCounts = nCounts;
    if (kept == 0) {
      return new int[0];
    }
    if (kept < RADIX_MIN) {
      Arrays.sort(keys, 0, kept);
    } else {
      radixSortTopBits(kept);
    }
    resolveNearTies(kept);

    int genes = Math.min(kept, settings.maxGenes());
    int[] token = mapping.slotTokens();
    boolean special = settings.specialTokens();
    int[] out = new int[special ? genes + 2 : genes];
    int o = 0;
    if (special) {
      out[o++] = settings.clsId();
    }
    for (int i = 0; i < genes; i++) {
      out[o++] = token[(int) (keys[i] & SLOT_MASK)];
    }
    if (special) {
      out[o] = settings.eosId();
    }
    return out;
  }

  /**
   * The last encoded cell's depth-normalised counts, {@code x / n_counts * 10000} (not divided by
   * the medians), aligned with its tokens: in their order, cut where they are cut, and 0 at {@code
   * <cls>} and {@code <eos>}, as upstream's tokenizer writes them with {@code keep_counts}. Empty
   * when the cell had no vocabulary gene.
   */
  public float[] normalisedCountsOfLastCell() {
    if (lastRanked == 0) {
      return new float[0];
    }
    int genes = Math.min(lastRanked, settings.maxGenes());
    boolean special = settings.specialTokens();
    float[] out = new float[special ? genes + 2 : genes];
    int o = special ? 1 : 0;
    for (int i = 0; i < genes; i++) {
      out[o++] = (float) (sum[(int) (keys[i] & SLOT_MASK)] / lastNCounts * TARGET_SUM);
    }
    return out;
  }

  /** Genes the last encoded cell had before truncation to the input size. */
  public int rankedGenesOfLastCell() {
    return lastRanked;
  }

  /** Ascending key = descending v, then ascending slot (v > 0, so its bits order like v). */
  private static long key(double v, int slot) {
    long descending = ~Double.doubleToRawLongBits(v) & Long.MAX_VALUE;
    return (descending >>> SLOT_BITS) << SLOT_BITS | (slot & SLOT_MASK);
  }

  /** Stable LSD radix sort of keys[0, n) on bits 31..63, skipping digits all keys share. */
  private void radixSortTopBits(int n) {
    if (radixBuffer.length < n) {
      radixBuffer = new long[keys.length];
    }
    long or = 0;
    long and = -1;
    for (int i = 0; i < n; i++) {
      or |= keys[i];
      and &= keys[i];
    }
    long varying = or ^ and;
    long[] src = keys;
    long[] dst = radixBuffer;
    int[] count = digitCounts;
    for (int shift = RADIX_FROM_BIT; shift < 64; shift += DIGIT_BITS) {
      if (((varying >>> shift) & DIGIT_MASK) == 0) {
        continue;
      }
      Arrays.fill(count, 0);
      for (int i = 0; i < n; i++) {
        count[(int) ((src[i] >>> shift) & DIGIT_MASK)]++;
      }
      int sum = 0;
      for (int d = 0; d < count.length; d++) {
        int c = count[d];
        count[d] = sum;
        sum += c;
      }
      for (int i = 0; i < n; i++) {
        long k = src[i];
        dst[count[(int) ((k >>> shift) & DIGIT_MASK)]++] = k;
      }
      long[] t = src;
      src = dst;
      dst = t;
    }
    if (src != keys) {
      System.arraycopy(src, 0, keys, 0, n);
    }
  }

  /** Re-sorts exactly each run of keys that agree in the radix-sorted bits. */
  private void resolveNearTies(int n) {
    int i = 0;
    while (i < n) {
      long head = keys[i] >>> RADIX_FROM_BIT;
      int j = i + 1;
      while (j < n && keys[j] >>> RADIX_FROM_BIT == head) {
        j++;
      }
      if (j - i > 1) {
        sortExactly(i, j);
      }
      i = j;
    }
  }

  /**
   * Sorts keys[from, to) by (v descending, slot ascending). Runs are tiny with real medians
   * (insertion sort); a vocabulary with many equal medians can make long ones (comparison sort).
   */
  private void sortExactly(int from, int to) {
    if (to - from > 16) {
      it.unimi.dsi.fastutil.Arrays.quickSort(
          from,
          to,
          (a, b) -> compare((int) (keys[a] & SLOT_MASK), (int) (keys[b] & SLOT_MASK)),
          (a, b) -> {
            long t = keys[a];
            keys[a] = keys[b];
            keys[b] = t;
          });
      return;
    }
    for (int i = from + 1; i < to; i++) {
      long k = keys[i];
      int slot = (int) (k & SLOT_MASK);
      int j = i - 1;
      while (j >= from && before(slot, (int) (keys[j] & SLOT_MASK))) {
        keys[j + 1] = keys[j];
        j--;
      }
      keys[j + 1] = k;
    }
  }

  private boolean before(int a, int b) {
    return compare(a, b) < 0;
  }

  /** Slot a's gene ranks before slot b's: larger v first, then smaller slot (input order). */
  private int compare(int a, int b) {
    int byValue = Double.compare(value[b], value[a]);
    return byValue != 0 ? byValue : Integer.compare(a, b);
  }

  private void grow() {
    int size = touched.length * 2;
    touched = Arrays.copyOf(touched, size);
    keys = Arrays.copyOf(keys, size);
    radixBuffer = new long[size];
  }
}
