package org.cellspark.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.train.CompactTokens;

/**
 * What a training task's cells cost held packed ({@link CompactTokens}) against int arrays, in the
 * same run: the heap they keep (after a full GC, the other form dropped), and the time to assemble
 * every cell once into batches of 16,384 padded tokens as a training epoch does (decoding first,
 * for the packed form). Cells: CELLS of 1,024 to 2,048 random V1 token IDs (Genecorpus' lengths run
 * to 2,048), seeded.
 *
 * <p>Args: CELLS (default 100,000), ROUNDS (default 3).
 */
public final class CompactTokensBenchmark {
  private CompactTokensBenchmark() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.out.printf(
        Locale.ROOT,
        "A training task's cells: %,d cells of 1,024-2,048 V1 tokens, int arrays against packed"
            + " (CompactTokens), %d rounds:%n",
        n,
        rounds);
    for (int r = 1; r <= rounds; r++) {
      long base = used();
      List<int[]> plain = cells(n);
      long plainBytes = used() - base;
      double plainSeconds = readAll(plain);
      long tokens = 0;
      for (int[] c : plain) {
        tokens += c.length;
      }
      plain = null; // dropped before the packed form is measured
      base = used();
      CompactTokens packed = pack(n);
      long packedBytes = used() - base;
      double packedSeconds = readAll(packed);
      System.out.printf(
          Locale.ROOT,
          "  round %d: %,d tokens; int arrays %,.0f MB (%.2f bytes a token), read in %.2f s;"
              + " packed %,.0f MB (%.2f bytes a token), read in %.2f s; heap ratio %.2f, read"
              + " time ratio %.2f%n",
          r,
          tokens,
          plainBytes / 1e6,
          (double) plainBytes / tokens,
          plainSeconds,
          packedBytes / 1e6,
          (double) packedBytes / tokens,
          packedSeconds,
          (double) packedBytes / plainBytes,
          packedSeconds / plainSeconds);
      if (packed.size() != n) {
        throw new AssertionError("lost cells");
      }
    }
  }

  private static List<int[]> cells(int n) {
    Random random = new Random(7);
    List<int[]> out = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      out.add(cell(random));
    }
    return out;
  }

  private static CompactTokens pack(int n) {
    Random random = new Random(7);
    CompactTokens.Builder b = CompactTokens.builder();
    int[] order = new int[n];
    for (int c = 0; c < n; c++) {
      b.add(cell(random));
      order[c] = c;
    }
    return b.build(order);
  }

  private static int[] cell(Random random) {
    int[] cell = new int[1_024 + random.nextInt(1_025)];
    for (int i = 0; i < cell.length; i++) {
      cell[i] = 2 + random.nextInt(25_424);
    }
    return cell;
  }

  /**
   * Every cell read once into length-grouped batches of 16,384 padded tokens, as a training step's
   * batch is assembled (each cell's tokens copied into the batch's int64 IDs); seconds.
   */
  private static double readAll(List<int[]> cells) {
    int[] lengths =
        cells instanceof CompactTokens packed
            ? packed.lengths()
            : cells.stream().mapToInt(c -> c.length).toArray();
    long t = System.nanoTime();
    long sum = 0;
    for (LengthBatcher.Batch batch : LengthBatcher.byLength(lengths, 16_384)) {
      int longest = 0;
      for (int c : batch.cells()) {
        longest = Math.max(longest, lengths[c]);
      }
      long[] ids = new long[batch.cells().length * longest];
      for (int k = 0; k < batch.cells().length; k++) {
        int[] tokens = cells.get(batch.cells()[k]);
        for (int i = 0; i < tokens.length; i++) {
          ids[k * longest + i] = tokens[i];
        }
      }
      sum += ids[ids.length - 1];
    }
    double seconds = (System.nanoTime() - t) / 1e9;
    if (sum == 42) {
      System.out.println(); // keeps the batches
    }
    return seconds;
  }

  private static long used() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
