package org.cellspark.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * libtorch's intra-op thread pool is per process and read once, when the engine starts. Spark runs
 * one task per core, each calling the model: left at its default (every core per call) the tasks
 * would oversubscribe the machine. Unless the user chose, each call gets the cores of one task
 * ({@code spark.task.cpus}, default 1), and inter-op parallelism is off.
 */
final class TorchThreads {
  private TorchThreads() {}

  static synchronized void configure() {
    int threads = 1;
    SparkEnv env = SparkEnv.get();
    if (env != null) {
      SparkConf conf = env.conf();
      threads = Math.max(1, conf.getInt("spark.task.cpus", 1));
    }
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }
}
