package org.cellspark.jobs.common;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per {@code every} seconds while a job's stage runs: items done, rate and ETA. The
 * counter is a Spark accumulator, which reaches the driver as tasks report, so the count moves in
 * steps.
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
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cellspark-" + job + "-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      long n = done.value();
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
