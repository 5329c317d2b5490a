package org.cellspark.jobs.common;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/** Session settings a job changes for a while and puts back (JobScope runs the job itself). */
public final class SparkJobs {
  private SparkJobs() {}

  /**
   * Runs {@code action} with a session setting changed, then restores it. Settings the writers read
   * from the session (not from write options) can only be given this way.
   */
  public static void withSessionConf(
      SparkSession spark, String key, String value, Runnable action) {
    withSessionConf(
        spark,
        key,
        value,
        () -> {
          action.run();
          return null;
        });
  }

  /**
   * As {@link #withSessionConf(SparkSession, String, String, Runnable)}, returning what the action
   * returns.
   */
  public static <T> T withSessionConf(
      SparkSession spark, String key, String value, Supplier<T> action) {
    SessionConf settings = sessionConf(spark, Map.of(key, value));
    try {
      return action.get();
    } finally {
      settings.close();
    }
  }

  /**
   * Sets {@code settings} on the session until the returned handle is closed, which puts back what
   * was there: a shared session (a notebook's, a test suite's) keeps no setting of one job's. A
   * {@code spark.hadoop.KEY} setting is also set as KEY on the context's Hadoop configuration,
   * which the jobs read and write files through: a running session made its Hadoop configuration
   * from such settings when it started, and would otherwise ignore them (S3 credentials, an
   * endpoint).
   */
  public static SessionConf sessionConf(SparkSession spark, Map<String, String> settings) {
    Map<String, String> before = new LinkedHashMap<>();
    Map<String, String> hadoopBefore = new LinkedHashMap<>();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    for (String key : settings.keySet()) {
      // Whether it was set, not its value: a SQL setting always has a value (its default), and
      // restoring the default explicitly would make it look set by the user.
      before.put(key, spark.sessionState().conf().contains(key) ? spark.conf().get(key) : null);
      if (key.startsWith(HADOOP_PREFIX)) {
        String hadoopKey = key.substring(HADOOP_PREFIX.length());
        hadoopBefore.put(hadoopKey, hadoop.getRaw(hadoopKey));
      }
    }
    settings.forEach(
        (k, v) -> {
          spark.conf().set(k, v);
          if (k.startsWith(HADOOP_PREFIX)) {
            hadoop.set(k.substring(HADOOP_PREFIX.length()), v);
          }
        });
    return new SessionConf(spark, before, hadoopBefore);
  }

  private static final String HADOOP_PREFIX = "spark.hadoop.";

  /**
   * Settings made by {@link #sessionConf}; closing restores the earlier values (unset where there
   * were none).
   */
  public static final class SessionConf implements AutoCloseable {
    private final SparkSession spark;
    private final Map<String, String> before;
    private final Map<String, String> hadoopBefore;

    private SessionConf(
        SparkSession spark, Map<String, String> before, Map<String, String> hadoopBefore) {
      this.spark = spark;
      this.before = before;
      this.hadoopBefore = hadoopBefore;
    }

    @Override
    public void close() {
      before.forEach(
          (k, v) -> {
            if (v == null) {
              spark.conf().unset(k);
            } else {
              spark.conf().set(k, v);
            }
          });
      Configuration hadoop = spark.sparkContext().hadoopConfiguration();
      hadoopBefore.forEach(
          (k, v) -> {
            if (v == null) {
              hadoop.unset(k);
            } else {
              hadoop.set(k, v);
            }
          });
    }
  }

  /**
   * The session's Hadoop configuration for a job's tasks (an executor writes its files into the
   * output with it: S3 credentials, HDFS settings), broadcast once.
   */
  public static org.apache.spark.broadcast.Broadcast<
          org.apache.spark.SerializableWritable<org.apache.hadoop.conf.Configuration>>
      hadoopConf(SparkSession spark) {
    return org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
        .broadcast(
            new org.apache.spark.SerializableWritable<>(
                spark.sparkContext().hadoopConfiguration()));
  }
}
