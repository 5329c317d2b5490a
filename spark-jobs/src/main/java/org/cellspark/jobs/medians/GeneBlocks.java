package org.cellspark.jobs.medians;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.BiConsumer;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.Tuple2;

/**
 * A task's cells as (gene group, {@link GeneBlock}) pairs for the exact medians' shuffle. {@code
 * reader} hands each cell's values over one at a time (a {@link NormalizedValues.Reader}'s read);
 * they are appended to two primitive arrays in arrival order (no object per value), and when the
 * task has buffered {@code flushValues} of them, and at the end, they are sorted by gene (a stable
 * two-pass radix sort: a pass costs a sequential read and writes into at most 2^digit buckets,
 * where scattering straight into one buffer per gene writes into tens of thousands) and cut into
 * one block per group of genes.
 */
final class GeneBlocks implements Iterator<Tuple2<Integer, GeneBlock>> {
  private final Iterator<InternalRow> cells;
  private final BiConsumer<InternalRow, NormalizedValues.Sink> reader;
  private final int flushValues;
  private final int digitBits;
  private int[] genes = new int[1 << 12];
  private double[] values = new double[1 << 12];
  private int buffered;
  private int[] scratchGenes = new int[0];
  private double[] scratchValues = new double[0];
  private final ArrayDeque<Tuple2<Integer, GeneBlock>> ready = new ArrayDeque<>();
  private final NormalizedValues.Sink append = this::append;

  /**
   * @param genes the number of genes: every gene number is below it
   */
  GeneBlocks(
      Iterator<InternalRow> cells,
      BiConsumer<InternalRow, NormalizedValues.Sink> reader,
      int genes,
      int flushValues) {
    this.cells = cells;
    this.reader = reader;
    this.flushValues = flushValues;
    int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, genes - 1));
    this.digitBits = (bits + 1) / 2;
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty() && cells.hasNext()) {
      reader.accept(cells.next(), append);
      if (buffered >= flushValues) {
        flush();
      }
    }
    if (ready.isEmpty() && buffered > 0) {
      flush();
    }
    return !ready.isEmpty();
  }

  @Override
  public Tuple2<Integer, GeneBlock> next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  private void append(int gene, double value) {
    if (buffered == genes.length) {
      // Doubling, but to just past the flush size rather than twice it (a flush waits for the
      // cell's end, so the arrays hold the flush size plus one cell).
      int length = buffered * 2;
      if (buffered < flushValues) {
        length = Math.min(length, flushValues + (1 << 16));
      }
      genes = Arrays.copyOf(genes, length);
      values = Arrays.copyOf(values, length);
    }
    genes[buffered] = gene;
    values[buffered] = value;
    buffered++;
  }

  private void flush() {
    sortByGene();
    int from = 0;
    while (from < buffered) {
      int group = genes[from] / GeneBlock.GENES;
      int first = group * GeneBlock.GENES;
      int[] starts = new int[GeneBlock.GENES + 1];
      int to = from;
      for (int j = 0; j < GeneBlock.GENES; j++) {
        starts[j] = to - from;
        while (to < buffered && genes[to] == first + j) {
          to++;
        }
      }
      starts[GeneBlock.GENES] = to - from;
      ready.add(new Tuple2<>(group, new GeneBlock(starts, Arrays.copyOfRange(values, from, to))));
      from = to;
    }
    buffered = 0;
  }

  /** Sorts the buffered (gene, value) pairs by gene, keeping arrival order within a gene. */
  private void sortByGene() {
    int n = buffered;
    int[] g = genes;
    double[] v = values;
    if (scratchGenes.length < g.length) {
      scratchGenes = new int[g.length];
      scratchValues = new double[g.length];
    }
    int[] g2 = scratchGenes;
    double[] v2 = scratchValues;
    int mask = (1 << digitBits) - 1;
    int[] start = new int[1 << digitBits];
    for (int shift = 0; shift < 2 * digitBits; shift += digitBits) {
      Arrays.fill(start, 0);
      for (int i = 0; i < n; i++) {
        start[(g[i] >>> shift) & mask]++;
      }
      for (int b = 0, sum = 0; b < start.length; b++) {
        int c = start[b];
        start[b] = sum;
        sum += c;
      }
      for (int i = 0; i < n; i++) {
        int at = start[(g[i] >>> shift) & mask]++;
        g2[at] = g[i];
        v2[at] = v[i];
      }
      int[] gs = g;
      g = g2;
      g2 = gs;
      double[] vs = v;
      v = v2;
      v2 = vs;
    }
    // Two passes: the sorted pairs are back in the fields' arrays.
  }
}
