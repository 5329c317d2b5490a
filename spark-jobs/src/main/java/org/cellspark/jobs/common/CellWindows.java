package org.cellspark.jobs.common;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.model.Precision;
import org.cellspark.spark.ModelCache;
import org.cellspark.spark.TaskDevice;

/**
 * A task's cells through the model in windows: one {@link CellEmbedder} on the task's device (the
 * executor's cached model), fed about 32 batches' worth of cells at a time, so the embedder can
 * group them by length, while a window's token vectors stay small. Closed with the task.
 */
public final class CellWindows {
  private CellWindows() {}

  /** What is done with each window of cells. */
  @FunctionalInterface
  public interface Window {
    void accept(CellEmbedder embedder, List<int[]> cells);
  }

  /**
   * @param rows the task's rows, each holding a cell's input_ids first (null rows are skipped)
   */
  public static void forEach(
      Iterator<Row> rows,
      String model,
      EmbeddingSettings settings,
      Precision precision,
      Window window) {
    Device device = TaskDevice.current();
    CellEmbedder embedder =
        new CellEmbedder(ModelCache.get(model, device, precision), device, settings);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) t -> embedder.close());
    }
    List<int[]> cells = new ArrayList<>();
    long tokens = 0;
    while (rows.hasNext()) {
      Row r = rows.next();
      if (r.isNullAt(0)) {
        continue;
      }
      List<Integer> ids = r.getList(0);
      int[] cell = ids.stream().mapToInt(Integer::intValue).toArray();
      cells.add(cell);
      tokens += cell.length;
      if (tokens >= 32 * embedder.batchTokens()) {
        window.accept(embedder, cells);
        cells.clear();
        tokens = 0;
      }
    }
    if (!cells.isEmpty()) {
      window.accept(embedder, cells);
    }
    if (task == null) {
      embedder.close();
    }
  }
}
