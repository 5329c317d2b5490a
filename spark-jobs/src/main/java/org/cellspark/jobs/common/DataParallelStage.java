package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.collective.RingAllReduce;
import org.cellspark.error.UserException;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs one training on {@code n} executors at once: a Spark barrier stage of {@code n} tasks (Spark
 * starts all or none, and when one fails it stops the others and runs them all again), task {@code
 * i} given every row that every worker needs (a copy each: the training cells) and, task 0 only,
 * the rows only worker 0 needs (the validation cells). What the tasks return is collected (worker 0
 * returns the result).
 */
public final class DataParallelStage {
  private static final String WORKER = "_worker";

  /** How long a worker whose ring broke waits for Spark to hear of another worker's failure. */
  static final Duration CAUSE_WAIT = Duration.ofSeconds(20);

  private DataParallelStage() {}

  /** A new secret for a training's workers to prove themselves to each other. */
  public static byte[] secret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  /**
   * Refuses what Spark cannot run as one barrier stage of {@code n} tasks: under dynamic allocation
   * (Spark refuses barrier stages there), or in local mode with fewer than {@code n} cores. A
   * cluster short of slots is told by Spark itself, after it has waited for executors to come.
   */
  public static void check(SparkContext sc, int n, String command) {
    if (n <= 1) {
      return;
    }
    if (sc.conf().getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw UserException.of(
          "%s --data-parallel %d runs its %d workers as one Spark barrier stage, which Spark does"
              + " not run under dynamic allocation: add --conf"
              + " spark.dynamicAllocation.enabled=false (and ask for %d executors: --num-executors"
              + " on YARN)",
          command, n, n, n);
    }
    if (sc.isLocal() && sc.defaultParallelism() < n) {
      throw UserException.of(
          "%s --data-parallel %d needs %d tasks at once; this local session runs %d (master %s):"
              + " give local[N] at least %d, or run on a cluster of %d executors",
          command, n, n, sc.defaultParallelism(), sc.master(), n, n);
    }
  }

  /**
   * The tasks' results: {@code task} run on {@code n} workers, each given the rows {@code
   * everyWorker} holds for and worker 0 the others too (dealt by {@link NumberedPartitions}, in
   * Spark's own format through the shuffle).
   */
  public static <T> List<T> run(
      Dataset<Row> rows,
      Column everyWorker,
      int n,
      FlatMapFunction<Iterator<Row>, T> task,
      Class<T> type) {
    Dataset<Row> workers =
        rows.sparkSession().range(n).select(col("id").cast(DataTypes.IntegerType).as(WORKER));
    Dataset<Row> copies = rows.join(broadcast(workers), everyWorker.or(col(WORKER).equalTo(0)));
    JavaRDD<Row> dealt = NumberedPartitions.deal(copies, col(WORKER), n).drop(WORKER).toJavaRDD();
    RDD<T> results =
        dealt
            .rdd()
            .barrier()
            .mapPartitions(new OnPartition<>(task), false, ClassTag$.MODULE$.apply(type));
    // Through a shuffle, so that the barrier stage is a map stage: Spark runs a failed barrier
    // map stage again, every worker anew (up to spark.stage.maxConsecutiveAttempts, 4 by
    // default), and the workers resume from worker 0's last state; a failed barrier result stage
    // it never runs again ("Could not recover from a failed barrier ResultStage"), so one lost
    // executor would end the job. Only worker 0 returns anything, so the order is no matter.
    return results.toJavaRDD().repartition(1).collect();
  }

  /**
   * Waits until Spark stops this task, for at most {@code limit}. A worker whose ring broke is most
   * often the echo of another worker's failure (an out-of-memory error, a bad batch), and both
   * tasks end within milliseconds of each other; Spark names the first failure it hears of as the
   * job's, and stops the other tasks. Waiting here lets the cause be that first failure, so the
   * user reads it rather than "worker 1 lost its ring". When nothing else failed (the network
   * broke), the ring's own failure follows {@code limit} later.
   */
  static void awaitStop(TaskContext task, Duration limit) {
    if (task == null) {
      return;
    }
    long end = System.nanoTime() + limit.toNanos();
    try {
      while (!task.isInterrupted() && System.nanoTime() < end) {
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether {@code e} is, or was caused by, a broken ring (a training may wrap it). */
  static boolean lostRing(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RingAllReduce.LostRing) {
        return true;
      }
    }
    return false;
  }

  /** The task as the function of a partition Scala's barrier API takes. */
  private static final class OnPartition<T>
      extends AbstractFunction1<scala.collection.Iterator<Row>, scala.collection.Iterator<T>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final FlatMapFunction<Iterator<Row>, T> task;

    OnPartition(FlatMapFunction<Iterator<Row>, T> task) {
      this.task = task;
    }

    // scala.collection.JavaConverters is deprecated on Scala 2.13 (Spark 4.0) for a class that
    // 2.12 (Spark 3.5) lacks; it is there on both, so one source serves both builds.
    @SuppressWarnings("deprecation")
    @Override
    public scala.collection.Iterator<T> apply(scala.collection.Iterator<Row> rows) {
      try {
        return JavaConverters.asScalaIterator(task.call(JavaConverters.asJavaIterator(rows)));
      } catch (RuntimeException | Error e) {
        if (lostRing(e)) {
          awaitStop(TaskContext.get(), CAUSE_WAIT);
        }
        throw e;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
