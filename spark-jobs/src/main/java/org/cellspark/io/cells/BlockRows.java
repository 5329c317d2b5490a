package org.cellspark.io.cells;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.TaskCompletionListener;

/**
 * A task's cell rows read a block of cells at a time, as Spark consumes them: a reader that
 * gathered all its cells' rows before returning the first held every one (hundreds of MB for a task
 * of a few thousand cells), which kept the garbage collector busy and the downstream tokenizer
 * idle. The resource the reader holds (an open file) is closed when the rows run out, or when the
 * task ends first.
 */
public final class BlockRows implements Iterator<InternalRow> {
  /** Reads cells {@code [first, first + count)} as rows into {@code out}. */
  public interface Reader {
    void read(long first, int count, List<InternalRow> out);
  }

  private final Iterator<long[]> ranges;
  private final int cellsPerBlock;
  private final Reader reader;
  private final AutoCloseable resource;
  private final List<InternalRow> block = new ArrayList<>();
  private int next;
  private long[] range;
  private long cell;
  private boolean closed;

  private BlockRows(
      Iterator<long[]> ranges, int cellsPerBlock, Reader reader, AutoCloseable resource) {
    this.ranges = ranges;
    this.cellsPerBlock = cellsPerBlock;
    this.reader = reader;
    this.resource = resource;
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) t -> close());
    }
  }

  /**
   * The rows of {@code ranges} ({from, to} cell ranges), read {@code cellsPerBlock} cells at a
   * time; {@code resource} (null: none) is closed after the last.
   */
  public static Iterator<InternalRow> of(
      Iterator<long[]> ranges, int cellsPerBlock, Reader reader, AutoCloseable resource) {
    return new BlockRows(ranges, cellsPerBlock, reader, resource);
  }

  @Override
  public boolean hasNext() {
    while (next == block.size()) {
      if (range == null || cell == range[1]) {
        if (!ranges.hasNext()) {
          close();
          return false;
        }
        range = ranges.next();
        cell = range[0];
        continue;
      }
      block.clear();
      next = 0;
      int count = (int) Math.min(cellsPerBlock, range[1] - cell);
      reader.read(cell, count, block);
      cell += count;
    }
    return true;
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return block.get(next++);
  }

  private void close() {
    if (closed || resource == null) {
      return;
    }
    closed = true;
    try {
      resource.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing " + resource, e);
    }
  }
}
