package org.cellspark.encode;

import it.unimi.dsi.fastutil.doubles.DoubleArrays;
import java.util.Arrays;

/**
 * Geneformer's rank-value encoding of one cell (reference §1.4–1.5): each vocabulary gene's count
 * is depth-normalised and divided by the gene's non-zero median,
 * {@code v = x / n_counts * 10000 / median} (float64, in that order, as upstream); genes with
 * {@code v == 0} are dropped; the rest are ranked by {@code v} descending, ties in input gene
 * order; the top genes are kept and, for V2, framed by {@code <cls>} and {@code <eos>}.
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
  private double[] negValue = new double[256];
  private double[] slotKey = new double[256];
  private int lastRanked;

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
   * @param columns matrix column (input gene) of each stored value; only the first {@code n} are read
   * @param counts the stored values (raw counts), aligned with {@code columns}
   * @param n number of stored values
   * @param nCounts the cell's total count (upstream's {@code n_counts}), positive
   * @return the token ids; empty when no vocabulary gene is detected (no special tokens then either)
   */
  public int[] encode(GeneIndexMapping mapping, int[] columns, double[] counts, int n, double nCounts) {
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
    int kept = 0;
    for (int i = 0; i < detected; i++) {
      int slot = touched[i];
      double v = sum[slot] / nCounts * TARGET_SUM / median[slot];
      if (v != 0) {
        negValue[kept] = -v; // ascending sort of -v == descending v
        slotKey[kept] = slot; // slot number == input order of the gene: the tie-break
        kept++;
      }
    }
    lastRanked = kept;
    if (kept == 0) {
      return new int[0];
    }
    // Lexicographic on (-v, slot): a total order, so the result does not depend on the algorithm.
    DoubleArrays.radixSort(negValue, slotKey, 0, kept);

    int genes = Math.min(kept, settings.maxGenes());
    int[] token = mapping.slotTokens();
    boolean special = settings.specialTokens();
    int[] out = new int[special ? genes + 2 : genes];
    int o = 0;
    if (special) {
      out[o++] = settings.clsId();
    }
    for (int i = 0; i < genes; i++) {
      out[o++] = token[(int) slotKey[i]];
    }
    if (special) {
      out[o] = settings.eosId();
    }
    return out;
  }

  /** Genes the last encoded cell had before truncation to the input size. */
  public int rankedGenesOfLastCell() {
    return lastRanked;
  }

  private void grow() {
    int size = touched.length * 2;
    touched = Arrays.copyOf(touched, size);
    negValue = Arrays.copyOf(negValue, size);
    slotKey = Arrays.copyOf(slotKey, size);
  }
}
