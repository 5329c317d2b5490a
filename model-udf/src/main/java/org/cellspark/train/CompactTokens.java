package org.cellspark.train;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;

/**
 * Cells' tokens as a training task holds them: 2 bytes a token where every ID of the cell is below
 * 65,536 (Geneformer's vocabularies have 25,426 and 20,275 tokens), 4 where not; half the heap of
 * int arrays, which matters when a pretraining task holds millions of cells. A cell is decoded into
 * a fresh int array when asked for (a batch at a time); the list cannot be changed.
 */
public final class CompactTokens extends AbstractList<int[]> implements RandomAccess {
  /** Each cell's tokens: a char[] when every ID fits in 16 bits, else the int[] itself. */
  private final Object[] cells;

  private final int[] lengths;

  private CompactTokens(Object[] cells, int[] lengths) {
    this.cells = cells;
    this.lengths = lengths;
  }

  /** Cells added one at a time (each packed as it comes), then put in an order. */
  public static final class Builder {
    private final List<Object> cells = new ArrayList<>();

    /** Adds a cell; {@code tokens} is not kept (IDs below 65,536 are packed into chars). */
    public Builder add(int[] tokens) {
      char[] packed = new char[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        if (tokens[i] < 0 || tokens[i] > Character.MAX_VALUE) {
          cells.add(tokens.clone());
          return this;
        }
        packed[i] = (char) tokens[i];
      }
      cells.add(packed);
      return this;
    }

    public int size() {
      return cells.size();
    }

    /**
     * The cells in the order given: {@code order[k]} is the k-th cell's place among those added.
     */
    public CompactTokens build(int[] order) {
      Object[] out = new Object[order.length];
      int[] lengths = new int[order.length];
      for (int k = 0; k < order.length; k++) {
        out[k] = cells.get(order[k]);
        lengths[k] = out[k] instanceof char[] c ? c.length : ((int[]) out[k]).length;
      }
      return new CompactTokens(out, lengths);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public int[] get(int cell) {
    Object c = cells[cell];
    if (c instanceof int[] wide) {
      return wide.clone();
    }
    char[] packed = (char[]) c;
    int[] out = new int[packed.length];
    for (int i = 0; i < packed.length; i++) {
      out[i] = packed[i];
    }
    return out;
  }

  @Override
  public int size() {
    return cells.length;
  }

  /** Cell {@code cell}'s token count, without decoding it. */
  public int length(int cell) {
    return lengths[cell];
  }

  /** Each cell's token count, without decoding any. */
  public int[] lengths() {
    return lengths.clone();
  }
}
