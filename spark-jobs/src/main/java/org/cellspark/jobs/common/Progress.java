package org.cellspark.jobs.common;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per {@code every} seconds while a job's stage runs: items done, rate and ETA. The
 * count comes from a supplier polled on the driver: a Spark accumulator (which reaches the driver
 * as tasks finish, so it moves in steps of a task) or anything the job can observe while tasks
 * run (perturb counts its checkpoint files).
 */
public final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  private final ScheduledExecutorService timer;
  private final long start = System.nanoTime();

  /**
   * @param job the log lines' prefix ("embed")
   * @param what the items counted, plural ("cells")
   */
  public Progress(String job, String what, LongAccumulator done, long total, long everySeconds) {
    this(job, what, done::value, total, everySeconds);
  }

  public Progress(String job, String what, LongSupplier done, long total, long everySeconds) {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cellspark-" + job + "-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      long n;
      try {
        n = done.getAsLong();
      } catch (RuntimeException e) {
        return; // progress is best effort; never stop the timer over it
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double rate = n / Math.max(seconds, 1e-9);
      String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - n) / rate) : "unknown";
      LOG.info(String.format(Locale.ROOT, "%s: %,d / %,d %s (%.1f %s/s), ETA %s", job, n, total, what, rate, what, eta));
    }, everySeconds, everySeconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
