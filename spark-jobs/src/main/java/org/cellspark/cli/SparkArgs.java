package org.cellspark.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.spark.EmbeddedGpus;
import org.cellspark.spark.SparkSessionFactory;
import picocli.CommandLine.Option;

/**
 * Spark settings every command accepts ({@code --conf key=value}), and the session they make. A
 * session already running in this JVM (a notebook, a test), or a context a host started without a
 * session, is reused and left running, with its settings as they were before the command.
 */
final class SparkArgs {
  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER,
      description = "A Spark setting, e.g. --conf spark.sql.shuffle.partitions=64 (repeatable).")
  Map<String, String> conf = new LinkedHashMap<>();

  /**
   * A session and whether we created it (then closing stops it); for a session that was already
   * running, closing restores the settings the command changed.
   */
  record Session(SparkSession spark, boolean owned, SparkJobs.SessionConf settings)
      implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        spark.stop();
      } else {
        settings.close();
      }
    }
  }

  Session session(String appName) {
    for (String key : conf.keySet()) {
      if (!key.startsWith("spark.")) {
        throw UserException.of("--conf %s: Spark settings start with 'spark.'", key);
      }
    }
    SparkSession active = running(SparkSession.getActiveSession());
    if (active == null) {
      active = running(SparkSession.getDefaultSession());
    }
    if (active == null && SparkSessionFactory.contextRunning()) {
      // A host's context without a session (a Databricks driver, a JVM that made only a context):
      // a session on it, and the context left running when the command ends, as a session is.
      active = SparkSessionFactory.onRunningContext();
    }
    if (active != null) {
      EmbeddedGpus.refuseTaskGpus(
          active.sparkContext().master(),
          conf.getOrDefault(
              SparkSessionFactory.TASK_GPUS,
              active.sparkContext().getConf().get(SparkSessionFactory.TASK_GPUS, null)));
      return new Session(active, false, SparkJobs.sessionConf(active, conf));
    }
    return new Session(SparkSessionFactory.getOrCreate(appName, conf), true, null);
  }

  /**
   * The session, unless it has been stopped: a stopped session stays the thread's active one (Spark
   * clears only the default), so a second command in one JVM would otherwise run on the session the
   * first one stopped.
   */
  private static SparkSession running(scala.Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped() ? session.get() : null;
  }
}
