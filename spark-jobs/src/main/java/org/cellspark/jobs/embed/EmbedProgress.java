package org.cellspark.jobs.embed;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per {@code every} seconds while cells are embedded: cells done, rate and ETA. The
 * counter is a Spark accumulator, which reaches the driver as tasks finish, so the count moves in
 * steps of a task's cells.
 */
final class EmbedProgress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbedProgress.class);
  private final ScheduledExecutorService timer;
  private final long start = System.nanoTime();

  EmbedProgress(LongAccumulator done, long total, long everySeconds) {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cellspark-embed-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      long n = done.value();
      double seconds = (System.nanoTime() - start) / 1e9;
      double rate = n / Math.max(seconds, 1e-9);
      String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - n) / rate) : "unknown";
      LOG.info(String.format(Locale.ROOT, "embed: %,d / %,d cells (%.1f cells/s), ETA %s", n, total, rate, eta));
    }, everySeconds, everySeconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
