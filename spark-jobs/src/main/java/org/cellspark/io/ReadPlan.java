package org.cellspark.io;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.io.cells.CountsLocation;

/**
 * How a job reads its inputs' cells, and what the reading keeps alive until the job ends.
 *
 * @param counts which counts matrix
 * @param partitions partitions for the formats that plan their own (AnnData, Matrix Market); 0 =
 *     planned from the data
 */
public record ReadPlan(CountsLocation counts, int partitions, Held held) {

  /**
   * What reading keeps alive (the Matrix Market entries, persisted between their check and their
   * use) until the job ends; closed after the job, also when it failed part way.
   */
  public static final class Held implements AutoCloseable {
    private final List<Runnable> releases = new ArrayList<>();

    public synchronized void add(Runnable release) {
      releases.add(release);
    }

    @Override
    public synchronized void close() {
      releases.forEach(Runnable::run);
      releases.clear();
    }
  }
}
