package org.cellspark.jobs.finetune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.cellspark.train.CompactTokens;

/**
 * The cells of one part (a split) that a training task reads from its partition: each kept as it
 * arrives, its tokens packed (2 bytes a token, {@link CompactTokens}) and the row with its boxed
 * tokens dropped, then put in cell_id order, the same every run whatever order Spark delivered them
 * in.
 */
public final class TaskCells {
  private final List<String> ids = new ArrayList<>();
  private final List<Integer> labels = new ArrayList<>();
  private final CompactTokens.Builder tokens = CompactTokens.builder();

  /** The cells in cell_id order: their IDs, labels and tokens. */
  public record InOrder(List<String> ids, int[] labels, CompactTokens tokens) {
    public int size() {
      return ids.size();
    }
  }

  /** Adds a cell: its ID, its tokens as a row holds them and its label (0 when there is none). */
  public void add(String id, List<Integer> cellTokens, int label) {
    ids.add(id);
    labels.add(label);
    tokens.add(cellTokens.stream().mapToInt(Integer::intValue).toArray());
  }

  public InOrder inIdOrder() {
    int[] order =
        IntStream.range(0, ids.size())
            .boxed()
            .sorted(Comparator.comparing(ids::get))
            .mapToInt(Integer::intValue)
            .toArray();
    List<String> sortedIds = new ArrayList<>(order.length);
    int[] sortedLabels = new int[order.length];
    for (int k = 0; k < order.length; k++) {
      sortedIds.add(ids.get(order[k]));
      sortedLabels[k] = labels.get(order[k]);
    }
    return new InOrder(List.copyOf(sortedIds), sortedLabels, tokens.build(order));
  }
}
