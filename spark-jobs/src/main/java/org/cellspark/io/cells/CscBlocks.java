package org.cellspark.io.cells;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.Partitioner;
import scala.Tuple2;

/**
 * The parts every reader of a CSC matrix (stored gene by gene: an AnnData {@code csc_matrix}, in
 * .h5ad or zarr) shares to turn it into cells' rows with one Spark shuffle, so no task re-reads the
 * whole matrix: map tasks each read a range of genes ({@link #columnRanges}), a piece at a time
 * ({@link #pieceEnd}), and cut each piece's entries into chunks by cell block ({@link #split}); the
 * shuffle ({@link BlockPartitioner}) brings every chunk of a cell block to one task, which
 * assembles those cells' entries ({@link #assemble}). Each stored value is read once and shuffled
 * once (about 16 bytes: cell, gene, value).
 */
public final class CscBlocks {
  private CscBlocks() {}

  /** Entries of one cell block from one piece: rows relative to the block's start. */
  public record Chunk(int[] rows, int[] genes, double[] values) implements Serializable {}

  /** A contiguous range of genes (columns) read by one map task. */
  public record ColumnRange(int first, int end) implements Serializable {}

  /**
   * Splits the columns into {@code tasks} ranges holding about equal numbers of stored values;
   * {@code indptr} is the matrix's whole column pointer (one entry per gene, plus one).
   */
  public static List<ColumnRange> columnRanges(long[] indptr, int tasks) {
    int cols = indptr.length - 1;
    long total = indptr[cols];
    long per = Math.max(1, (total + tasks - 1) / Math.max(1, tasks));
    List<ColumnRange> out = new ArrayList<>();
    int first = 0;
    for (int c = 1; c <= cols; c++) {
      if (indptr[c] - indptr[first] >= per || c == cols) {
        out.add(new ColumnRange(first, c));
        first = c;
      }
    }
    if (out.isEmpty()) {
      out.add(new ColumnRange(0, cols));
    }
    return out;
  }

  /**
   * The end of the piece that starts at column {@code i} of {@code indptr} (a range's column
   * pointer, {@code columns} + 1 entries): as many columns as fit {@code maxValues} entries, one at
   * least.
   */
  public static int pieceEnd(long[] indptr, int i, int columns, long maxValues) {
    int j = i + 1;
    while (j < columns && indptr[j + 1] - indptr[i] <= maxValues) {
      j++;
    }
    return j;
  }

  /**
   * Cuts the entries of columns {@code [i, j)} of a range's column pointer (gene {@code firstGene +
   * c} for column c; {@code cells} and {@code values} hold entries {@code indptr[i]} to {@code
   * indptr[j]}) into one chunk per cell block of {@code cellsPerBlock} cells, added to {@code out}
   * keyed by block.
   */
  public static void split(
      int firstGene,
      long[] indptr,
      int i,
      int j,
      int[] cells,
      double[] values,
      int cellsPerBlock,
      long rows,
      List<Tuple2<Integer, Chunk>> out) {
    int blocks = (int) ((rows + cellsPerBlock - 1) / cellsPerBlock);
    int[] sizes = new int[blocks];
    for (int cell : cells) {
      sizes[cell / cellsPerBlock]++;
    }
    int[][] blockRows = new int[blocks][];
    int[][] genes = new int[blocks][];
    double[][] vals = new double[blocks][];
    int[] fill = new int[blocks];
    for (int b = 0; b < blocks; b++) {
      if (sizes[b] > 0) {
        blockRows[b] = new int[sizes[b]];
        genes[b] = new int[sizes[b]];
        vals[b] = new double[sizes[b]];
      }
    }
    int k = 0;
    for (int c = i; c < j; c++) {
      int gene = firstGene + c;
      for (long e = indptr[c]; e < indptr[c + 1]; e++, k++) {
        int b = cells[k] / cellsPerBlock;
        int at = fill[b]++;
        blockRows[b][at] = cells[k] - b * cellsPerBlock;
        genes[b][at] = gene;
        vals[b][at] = values[k];
      }
    }
    for (int b = 0; b < blocks; b++) {
      if (sizes[b] > 0) {
        out.add(new Tuple2<>(b, new Chunk(blockRows[b], genes[b], vals[b])));
      }
    }
  }

  /** One cell block's entries from its chunks, each cell's genes ascending. */
  public static CellEntries assemble(int cells, List<Chunk> parts) {
    int[] offsets = new int[cells + 1];
    for (Chunk p : parts) {
      for (int r : p.rows()) {
        offsets[r + 1]++;
      }
    }
    for (int i = 0; i < cells; i++) {
      offsets[i + 1] += offsets[i];
    }
    int[] fill = Arrays.copyOf(offsets, cells);
    int[] genes = new int[offsets[cells]];
    double[] values = new double[offsets[cells]];
    for (Chunk p : parts) {
      for (int k = 0; k < p.rows().length; k++) {
        int at = fill[p.rows()[k]]++;
        genes[at] = p.genes()[k];
        values[at] = p.values()[k];
      }
    }
    // Chunks arrive in no fixed order: sorting by gene makes each row independent of the shuffle.
    return new CellEntries(offsets, genes, values).sortedByGene();
  }

  /** Cell block b goes to partition b, so partitions come out in cell order. */
  public static final class BlockPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int blocks;

    public BlockPartitioner(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public int numPartitions() {
      return blocks;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BlockPartitioner b && b.blocks == blocks;
    }

    @Override
    public int hashCode() {
      return blocks;
    }
  }
}
