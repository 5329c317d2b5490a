package org.cellspark.files;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.sql.SparkSession;

/**
 * The Hadoop configuration for files a job names besides its inputs (a model, a vocabulary), in
 * whichever JVM reads them.
 */
public final class HadoopConfs {
  private HadoopConfs() {}

  /**
   * On the driver (and in every thread of a local session): the running session's, with what was
   * set on it at runtime (a notebook's {@code sc.hadoopConfiguration().set(...)}, a command's
   * {@code --conf spark.hadoop.*}). On a cluster's executors: the application's, made from its
   * {@code spark.hadoop.*} settings and the node's Hadoop configuration files, as Spark makes it
   * for the files it downloads itself ({@code --files} from a bucket). Without Spark: Hadoop's
   * defaults.
   */
  public static Configuration forThisJvm() {
    SparkSession session = running(SparkSession.getActiveSession());
    if (session == null) {
      session = running(SparkSession.getDefaultSession());
    }
    if (session != null) {
      return session.sparkContext().hadoopConfiguration();
    }
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return new Configuration();
    }
    if ("driver".equals(env.executorId())) {
      // A task in a local session (Spark hides the sessions from tasks, not the context): the
      // driver's configuration, runtime settings included. This JVM is the driver, so the context
      // is running and getOrCreate returns it.
      return SparkContext.getOrCreate().hadoopConfiguration();
    }
    return SparkHadoopUtil.get().newConfiguration(env.conf());
  }

  private static SparkSession running(scala.Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped() ? session.get() : null;
  }
}
