package org.cellspark.jobs.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.cellspark.spark.CellsparkKryo;
import org.cellspark.spark.SupportedSpark;
import scala.collection.JavaConverters;

/**
 * One Cellspark job's run on a session, opened in a try-with-resources around all of its work: its
 * Spark jobs carry a job tag of its own, and its outputs are staged. Closing it after a failure
 * (without {@link #succeeded()}) cancels the tagged jobs and waits, bounded, until their tasks have
 * stopped (Spark fails a job at once but stops its other tasks asynchronously), so that no
 * straggler writes into a staging folder once it is gone; then the staging folders are removed.
 * Another job on the same session (a notebook runs several) is neither cancelled nor waited for.
 *
 * <p>A tag rather than a job group: a thread has one group, and a notebook sets its own around each
 * paragraph (Zeppelin cancels a paragraph by cancelling its group), which a group of Cellspark's
 * replaced, so the notebook's cancel reached no Cellspark job. Tags add to the thread's group. The
 * tasks are interrupted on a cancel (Spark's interruptOnCancel; the thread's own setting and job
 * description come back when the scope closes); trainings also check between steps whether their
 * task was killed.
 */
public final class JobScope implements AutoCloseable {
  /**
   * The thread's local properties Spark keeps a job's settings in (SparkContext's
   * SPARK_JOB_INTERRUPT_ON_CANCEL, SPARK_JOB_DESCRIPTION, SPARK_JOB_TAGS: Spark-internal names,
   * stable since the tags came in Spark 3.5; tags are comma-separated).
   */
  static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

  static final String DESCRIPTION = "spark.job.description";
  private static final String TAGS = "spark.job.tags";

  /** How long a failed job waits for its own tasks to stop. */
  static final long STRAGGLER_WAIT_MILLIS = 30_000;

  private final SparkContext sc;
  private final String tag;
  private final String interruptBefore;
  private final String descriptionBefore;
  private final List<StagedOutput> outputs;
  private final TaggedTasks tasks;
  private final long stragglerWaitMillis;
  private boolean succeeded;

  private JobScope(
      SparkContext sc, String description, long stragglerWaitMillis, List<StagedOutput> outputs) {
    this.sc = sc;
    this.stragglerWaitMillis = stragglerWaitMillis;
    this.tag = "cellspark-" + UUID.randomUUID();
    this.outputs = outputs;
    this.tasks = new TaggedTasks(tag);
    sc.addSparkListener(tasks); // before the first tagged job, so every one of its tasks is seen
    this.interruptBefore = sc.getLocalProperty(INTERRUPT_ON_CANCEL);
    this.descriptionBefore = sc.getLocalProperty(DESCRIPTION);
    sc.addJobTag(tag);
    sc.setInterruptOnCancel(true);
    sc.setJobDescription(description);
  }

  /**
   * Starts a job's scope: a job tag of its own, whose jobs' tasks are interrupted when cancelled,
   * and the staged outputs it removes unless the job succeeds (a committed output has nothing left
   * to remove; null entries, for outputs a run does not write, are skipped). Jobs add outputs
   * prepared later with {@link #stage}.
   */
  public static JobScope start(SparkContext sc, String description, StagedOutput... outputs) {
    return start(sc, description, STRAGGLER_WAIT_MILLIS, outputs);
  }

  /**
   * As {@link #start(SparkContext, String, StagedOutput...)}, waiting at most as long as given for
   * stragglers (tests).
   */
  static JobScope start(
      SparkContext sc, String description, long stragglerWaitMillis, StagedOutput... outputs) {
    SupportedSpark.require(); // a notebook's session was not made by SparkSessionFactory
    CellsparkKryo.requireRegistered(sc.getConf()); // before anything is broadcast or shuffled
    return new JobScope(
        sc,
        description,
        stragglerWaitMillis,
        new ArrayList<>(Arrays.stream(outputs).filter(Objects::nonNull).toList()));
  }

  /** An output prepared once the job is under way (its location known only then). */
  public StagedOutput stage(StagedOutput out) {
    outputs.add(out);
    return out;
  }

  /** The job tag its Spark jobs carry. */
  public String tag() {
    return tag;
  }

  /**
   * The job's last step: writes {@code summary} into {@code out} (its {@link
   * StagedOutput#SUMMARY_FILE}, the mark of a complete output), moves {@code out} into place and
   * marks the job succeeded.
   */
  public void commit(StagedOutput out, JobSummary summary) {
    out.writeText(StagedOutput.SUMMARY_FILE, summary.toJson());
    out.commit();
    succeeded();
  }

  /** The job finished and committed its outputs: closing only removes the tag. */
  public void succeeded() {
    succeeded = true;
  }

  @Override
  public void close() {
    try {
      if (!succeeded) {
        sc.cancelJobsWithTag(tag);
        tasks.awaitQuiet(stragglerWaitMillis);
      }
    } finally {
      sc.removeSparkListener(tasks);
      sc.removeJobTag(tag);
      sc.setLocalProperty(INTERRUPT_ON_CANCEL, interruptBefore);
      sc.setJobDescription(descriptionBefore);
      for (StagedOutput out : outputs) {
        out.abort();
      }
    }
  }

  /**
   * The tagged jobs and their running tasks, from Spark's listener events. Events arrive in order
   * for one listener: a job's tasks start before it ends, so once every tagged job has ended the
   * count of running tasks can only fall, and it falls to 0 when the last straggler stops.
   */
  static final class TaggedTasks extends SparkListener {
    private final String tag;
    private final Set<Integer> jobs = ConcurrentHashMap.newKeySet();
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final AtomicInteger jobsRunning = new AtomicInteger();
    private final AtomicInteger tasksRunning = new AtomicInteger();

    TaggedTasks(String tag) {
      this.tag = tag;
    }

    // scala.collection.JavaConverters is deprecated on Scala 2.13 (Spark 4.0) for a class that
    // 2.12 (Spark 3.5) lacks; it is there on both, so one source serves both builds.
    @SuppressWarnings("deprecation")
    @Override
    public void onJobStart(SparkListenerJobStart e) {
      if (e.properties() != null && tagged(e.properties().getProperty(TAGS))) {
        for (Object stage : JavaConverters.seqAsJavaList(e.stageIds())) {
          stages.add((Integer) stage);
        }
        jobs.add(e.jobId());
        jobsRunning.incrementAndGet();
      }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
      if (jobs.contains(e.jobId())) {
        jobsRunning.decrementAndGet();
      }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart e) {
      if (stages.contains(e.stageId())) {
        tasksRunning.incrementAndGet();
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      if (stages.contains(e.stageId())) {
        tasksRunning.decrementAndGet();
      }
    }

    /** Whether a job's tags (Spark's comma-separated local property; null: none) hold ours. */
    private boolean tagged(String tags) {
      return tags != null && Arrays.asList(tags.split(",", -1)).contains(tag);
    }

    /** Whether every tagged job has ended and none of its tasks is running. */
    boolean quiet() {
      return jobsRunning.get() <= 0 && tasksRunning.get() <= 0;
    }

    void awaitQuiet(long timeoutMillis) {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (!quiet() && System.currentTimeMillis() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
