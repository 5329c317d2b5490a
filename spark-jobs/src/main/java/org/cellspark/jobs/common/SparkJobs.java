package org.cellspark.jobs.common;

import java.util.UUID;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.SparkSession;

/** Small helpers for running a job's Spark work as one cancellable unit. */
public final class SparkJobs {
  private SparkJobs() {}

  /**
   * Starts a job group whose tasks are interrupted when the group's jobs fail or are cancelled.
   * Returns the group id.
   */
  public static String startGroup(SparkContext sc, String description) {
    String group = "cellspark-" + UUID.randomUUID();
    sc.setJobGroup(group, description, true);
    return group;
  }

  /**
   * After a failure: cancels the group and waits (bounded) until no task is running, so that no
   * straggling task writes into an output folder after it was removed. When one task fails, Spark
   * fails the job at once but stops the job's other tasks asynchronously.
   */
  public static void cancelAndAwait(SparkContext sc, String group, long timeoutMillis) {
    sc.cancelJobGroup(group);
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline && runningTasks(sc) > 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Runs {@code action} with a session setting changed, then restores it. Settings the writers
   * read from the session (not from write options) can only be given this way.
   */
  public static void withSessionConf(SparkSession spark, String key, String value, Runnable action) {
    withSessionConf(spark, key, value, () -> {
      action.run();
      return null;
    });
  }

  /** As {@link #withSessionConf(SparkSession, String, String, Runnable)}, returning what the action returns. */
  public static <T> T withSessionConf(SparkSession spark, String key, String value, java.util.function.Supplier<T> action) {
    SessionConf settings = sessionConf(spark, java.util.Map.of(key, value));
    try {
      return action.get();
    } finally {
      settings.close();
    }
  }

  /**
   * Sets {@code settings} on the session until the returned handle is closed, which puts back
   * what was there: a shared session (a notebook's, a test suite's) keeps no setting of one job's.
   */
  public static SessionConf sessionConf(SparkSession spark, java.util.Map<String, String> settings) {
    java.util.Map<String, String> before = new java.util.LinkedHashMap<>();
    for (String key : settings.keySet()) {
      // Whether it was set, not its value: a SQL setting always has a value (its default), and
      // restoring the default explicitly would make it look set by the user.
      before.put(key, spark.sessionState().conf().contains(key) ? spark.conf().get(key) : null);
    }
    settings.forEach((k, v) -> spark.conf().set(k, v));
    return new SessionConf(spark, before);
  }

  /** Settings made by {@link #sessionConf}; closing restores the earlier values (unset where there were none). */
  public static final class SessionConf implements AutoCloseable {
    private final SparkSession spark;
    private final java.util.Map<String, String> before;

    private SessionConf(SparkSession spark, java.util.Map<String, String> before) {
      this.spark = spark;
      this.before = before;
    }

    @Override
    public void close() {
      before.forEach((k, v) -> {
        if (v == null) {
          spark.conf().unset(k);
        } else {
          spark.conf().set(k, v);
        }
      });
    }
  }

  public static void endGroup(SparkContext sc) {
    sc.clearJobGroup();
  }

  private static int runningTasks(SparkContext sc) {
    int n = 0;
    for (SparkExecutorInfo e : sc.statusTracker().getExecutorInfos()) {
      n += e.numRunningTasks();
    }
    return n;
  }
}
