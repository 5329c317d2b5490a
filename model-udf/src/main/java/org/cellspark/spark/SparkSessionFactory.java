package org.cellspark.spark;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.sql.SparkSession;

/**
 * The one way jobs and tests get a SparkSession. Order of precedence, lowest first: our defaults
 * (only where nothing else set the key), then whatever spark-submit / spark-defaults.conf / -D set,
 * then the caller's overrides. So on a cluster spark-submit's settings win; embedded runs ({@code
 * bin/cellspark}) get a sensible local setup.
 */
public final class SparkSessionFactory {
  /** Spark's setting for GPUs per task: clusters only. */
  public static final String TASK_GPUS = "spark.task.resource.gpu.amount";

  private SparkSessionFactory() {}

  public static SparkSession getOrCreate(String appName, Map<String, String> overrides) {
    SupportedJava.require();
    SupportedSpark.require();
    SparkConf conf = new SparkConf(); // picks up spark.* system properties (spark-submit, -D)
    conf.setIfMissing("spark.app.name", appName);
    boolean embedded = !conf.contains("spark.master");
    if (embedded) {
      // No cluster given: run inside this JVM on every core, quietly and on loopback.
      conf.set("spark.master", "local[*]");
      conf.setIfMissing("spark.ui.enabled", "false");
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      conf.setIfMissing(
          "spark.sql.shuffle.partitions",
          String.valueOf(Math.max(2, 2 * Runtime.getRuntime().availableProcessors())));
    }
    // Parquet output that Python readers (pyarrow, Hugging Face datasets) map to plain lists.
    conf.setIfMissing("spark.sql.parquet.writeLegacyFormat", "false");
    overrides.forEach(conf::set);
    // Cellspark's SQL functions (geneformer_embed ...), added to any extensions already configured.
    String extensions = conf.get("spark.sql.extensions", "");
    if (!extensions.contains(CellsparkExtensions.class.getName())) {
      conf.set(
          "spark.sql.extensions",
          extensions.isBlank()
              ? CellsparkExtensions.class.getName()
              : extensions + "," + CellsparkExtensions.class.getName());
    }
    // Records survive Kryo, should the cluster serialize with it (CellsparkKryo).
    CellsparkKryo.addTo(conf);
    EmbeddedGpus.refuseTaskGpus(conf.get("spark.master"), conf.get(TASK_GPUS, null));
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /**
   * Whether this JVM already runs a SparkContext: one its host started (a Databricks JAR task's
   * driver, a notebook's interpreter), which Cellspark must neither stop nor outlive by exiting the
   * JVM. Spark keeps one active context a JVM; it has no public call that asks without starting one
   * ({@code SparkContext.getOrCreate} would), so this reads the context Spark itself registers (its
   * {@code getActive}, package-private in Scala but public to Java, in Spark 3.5 and 4).
   */
  public static boolean contextRunning() {
    scala.Option<SparkContext> active = SparkContext$.MODULE$.getActive();
    return active.isDefined() && !active.get().isStopped();
  }

  /**
   * A session on the context the host runs ({@link #contextRunning()}), for a host that made a
   * context and no session: the builder finds the context and makes a session on it, taking none of
   * this class's defaults (the host's context already has its settings; a builder's context
   * settings would be ignored with a warning).
   */
  public static SparkSession onRunningContext() {
    SupportedJava.require();
    SupportedSpark.require();
    return SparkSession.builder().getOrCreate();
  }
}
