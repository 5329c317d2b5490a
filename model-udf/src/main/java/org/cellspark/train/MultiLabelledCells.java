package org.cellspark.train;

import java.util.List;

/**
 * Cells' tokens and, for each task, their class numbers (0 to the task's classes-1; {@link
 * #UNLABELLED} where a cell has no class for that task), in one order.
 *
 * @param labels {@code labels[task][cell]}
 */
public record MultiLabelledCells(List<int[]> tokens, int[][] labels) implements Examples {
  /** A cell without a class for a task: it adds nothing to that task's loss or scores. */
  public static final int UNLABELLED = -1;

  public MultiLabelledCells {
    int[][] copy = new int[labels.length][];
    for (int t = 0; t < labels.length; t++) {
      if (labels[t].length != tokens.size()) {
        throw new IllegalArgumentException(
            tokens.size() + " cells but " + labels[t].length + " labels for task " + t);
      }
      copy[t] = labels[t].clone();
    }
    tokens = Examples.kept(tokens);
    labels = copy;
  }

  public int tasks() {
    return labels.length;
  }

  /** Task {@code task}'s classes of every cell (a copy). */
  public int[] labels(int task) {
    return labels[task].clone();
  }

  @Override
  public int[][] labels() {
    int[][] copy = new int[labels.length][];
    for (int t = 0; t < labels.length; t++) {
      copy[t] = labels[t].clone();
    }
    return copy;
  }

  /** Cell {@code cell}'s class for task {@code task}, or {@link #UNLABELLED}. */
  public int label(int task, int cell) {
    return labels[task][cell];
  }

  /** How many cells have a class for task {@code task}. */
  public int labelled(int task) {
    int n = 0;
    for (int l : labels[task]) {
      n += l == UNLABELLED ? 0 : 1;
    }
    return n;
  }
}
