package org.cellspark.jobs.common;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a job's long stage, polled on the driver: items done (a Spark accumulator, which
 * reaches the driver as tasks finish, or anything the job observes while tasks run, such as
 * perturb's checkpoint files), rate and ETA. Two styles, chosen from where the job runs: a console
 * bar redrawn every second for local runs in a terminal; one log line every 30 s on clusters (or
 * without a terminal: CI logs, Airflow, spark-submit), where a redrawn line would only fill logs.
 * {@code CELLSPARK_PROGRESS=lines|bar} overrides the choice.
 */
public final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  static final int BAR_WIDTH = 30;

  /** How progress is shown. */
  public enum Style {
    BAR,
    LINES
  }

  private final ScheduledExecutorService timer;
  private final long start = System.nanoTime();
  private final Style style;
  private final PrintStream console;
  private final String job;
  private final String what;
  private final LongSupplier done;
  private final long total;

  public Progress(SparkContext sc, String job, String what, LongAccumulator done, long total) {
    this(sc, job, what, (LongSupplier) done::value, total);
  }

  public Progress(SparkContext sc, String job, String what, LongSupplier done, long total) {
    this(
        job,
        what,
        done,
        total,
        style(sc.master(), System.console() != null, System.getenv("CELLSPARK_PROGRESS")),
        System.err);
  }

  Progress(
      String job, String what, LongSupplier done, long total, Style style, PrintStream console) {
    this.style = style;
    this.console = console;
    this.job = job;
    this.what = what;
    this.done = done;
    this.total = total;
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cellspark-" + job + "-progress");
              t.setDaemon(true);
              return t;
            });
    long every = style == Style.BAR ? 1 : 30;
    timer.scheduleAtFixedRate(this::tick, every, every, TimeUnit.SECONDS);
  }

  /** Shows the progress now (the timer calls this). */
  void tick() {
    long n;
    try {
      n = done.getAsLong();
    } catch (RuntimeException e) {
      return; // progress is best effort; never stop the timer over it
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (style == Style.BAR) {
      console.print("\r" + bar(job, what, n, total, seconds));
      console.flush();
    } else {
      LOG.info(line(job, what, n, total, seconds));
    }
  }

  /** The bar for local runs in a terminal, lines otherwise; {@code override} (lines|bar) wins. */
  static Style style(String master, boolean terminal, String override) {
    if ("lines".equalsIgnoreCase(override)) {
      return Style.LINES;
    }
    if ("bar".equalsIgnoreCase(override)) {
      return Style.BAR;
    }
    return master != null && master.startsWith("local") && terminal ? Style.BAR : Style.LINES;
  }

  /** "embed [#########.....................] 1,234 / 4,000 cells 102.8 cells/s ETA 27 s" */
  static String bar(String job, String what, long n, long total, double seconds) {
    double fraction = total > 0 ? Math.min(1, Math.max(0, (double) n / total)) : 0;
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    return String.format(
        Locale.ROOT,
        "%s [%s%s] %,d / %,d %s  %.1f %s/s  ETA %s  ",
        job,
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        n,
        total,
        what,
        rate(n, seconds),
        what,
        eta(n, total, seconds));
  }

  /** "embed: 1,234 / 4,000 cells (102.8 cells/s), ETA 27 s" */
  static String line(String job, String what, long n, long total, double seconds) {
    return String.format(
        Locale.ROOT,
        "%s: %,d / %,d %s (%.1f %s/s), ETA %s",
        job,
        n,
        total,
        what,
        rate(n, seconds),
        what,
        eta(n, total, seconds));
  }

  private static double rate(long n, double seconds) {
    return n / Math.max(seconds, 1e-9);
  }

  private static String eta(long n, long total, double seconds) {
    double rate = rate(n, seconds);
    if (!(rate > 0) || total <= 0) {
      return "unknown";
    }
    long s = Math.max(0, Math.round((total - n) / rate));
    return s < 60
        ? s + " s"
        : s < 3600
            ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60)
            : String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (style == Style.BAR) {
      console.print(
          "\r" + " ".repeat(BAR_WIDTH + 80) + "\r"); // the bar gives way to the job's own summary
      console.flush();
    }
  }
}
