package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.ForeachFunction;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A job's scope after a failure: it waits for its own straggling tasks before letting its outputs
 * go, and neither cancels nor waits for another job's tasks on the same session. Tasks run in this
 * JVM (local mode), so they signal the test through static latches. The scopes here would wait ten
 * minutes for stragglers, so a scope that waited for the wrong tasks would hang past the tests'
 * bounds instead of passing by luck.
 */
@ExtendWith(SharedSpark.class)
class JobScopeTest {
  private static final long WAIT_LONG = TimeUnit.MINUTES.toMillis(10);
  static volatile CountDownLatch stragglerStarted;
  static final AtomicBoolean stragglerEnded = new AtomicBoolean();
  static volatile CountDownLatch otherStarted;
  static volatile CountDownLatch otherMayEnd;
  static volatile CountDownLatch notebookTaskStarted;

  @Test
  void aFailedJobWaitsForItsOwnStragglers(SparkSession spark) {
    stragglerStarted = new CountDownLatch(1);
    stragglerEnded.set(false);
    SparkContext sc = spark.sparkContext();
    assertThatThrownBy(
            () -> {
              try (JobScope job = JobScope.start(sc, "test: fails with a straggler", WAIT_LONG)) {
                assertThat(sc.getJobTags().contains(job.tag())).isTrue();
                assertThat(sc.getLocalProperty(JobScope.INTERRUPT_ON_CANCEL)).isEqualTo("true");
                spark
                    .range(0, 2, 1, 2)
                    .foreach(
                        (ForeachFunction<Long>)
                            i -> {
                              if (i == 0) {
                                stragglerStarted.await();
                                throw new IllegalStateException("task 0 fails");
                              }
                              stragglerStarted.countDown();
                              try {
                                Thread.sleep(
                                    TimeUnit.MINUTES.toMillis(
                                        5)); // until the scope cancels the group
                              } catch (InterruptedException cancelled) {
                                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                                while (System.nanoTime() < until) {
                                  Thread
                                      .onSpinWait(); // a straggler still finishing its write, deaf
                                  // to interrupts
                                }
                              }
                              stragglerEnded.set(true);
                            });
              }
            })
        .hasStackTraceContaining("task 0 fails");
    assertThat(stragglerEnded)
        .as("the failed job's other task ended before its scope closed")
        .isTrue();
    assertThat(sc.getJobTags().isEmpty()).as("the tag removed").isTrue();
    assertThat(sc.getLocalProperty(JobScope.INTERRUPT_ON_CANCEL)).isNull();
  }

  /**
   * A notebook runs a paragraph in a job group of its own and cancels the paragraph by cancelling
   * that group (Zeppelin does): a Cellspark job in the paragraph keeps the notebook's group, so the
   * notebook's cancel ends it, and the thread's group, description and interrupt setting are the
   * notebook's again afterwards.
   */
  @Test
  void aNotebooksCancelReachesTheJobAndItsGroupStays(SparkSession spark) throws Exception {
    notebookTaskStarted = new CountDownLatch(1);
    SparkContext sc = spark.sparkContext();
    CompletableFuture<String> paragraph =
        CompletableFuture.supplyAsync(
            () -> {
              sc.setJobGroup("paragraph-1", "a notebook's paragraph", false);
              try {
                try (JobScope job =
                    JobScope.start(sc, "test: cancelled by the notebook", WAIT_LONG)) {
                  assertThat(sc.getLocalProperty("spark.jobGroup.id")).isEqualTo("paragraph-1");
                  assertThat(sc.getJobTags().contains(job.tag())).isTrue();
                  spark
                      .range(0, 1, 1, 1)
                      .foreach(
                          (ForeachFunction<Long>)
                              i -> {
                                notebookTaskStarted.countDown();
                                Thread.sleep(TimeUnit.MINUTES.toMillis(5)); // until interrupted
                              });
                  return "not cancelled";
                } catch (Exception cancelled) { // SparkException, thrown unchecked from Scala
                  return sc.getLocalProperty("spark.jobGroup.id")
                      + " / "
                      + sc.getLocalProperty(JobScope.DESCRIPTION)
                      + " / "
                      + sc.getLocalProperty(JobScope.INTERRUPT_ON_CANCEL)
                      + " / "
                      + cancelled.getMessage();
                }
              } finally {
                sc.clearJobGroup();
              }
            });
    assertThat(notebookTaskStarted.await(2, TimeUnit.MINUTES)).as("the job's task runs").isTrue();
    sc.cancelJobGroup("paragraph-1");
    assertThat(paragraph.get(2, TimeUnit.MINUTES))
        .startsWith("paragraph-1 / a notebook's paragraph / false / ")
        .contains("cancelled");
  }

  @Test
  void aFailedJobLeavesOtherJobsAlone(SparkSession spark) throws Exception {
    otherStarted = new CountDownLatch(1);
    otherMayEnd = new CountDownLatch(1);
    SparkContext sc = spark.sparkContext();
    CompletableFuture<Long> other =
        CompletableFuture.supplyAsync(
            () -> {
              sc.setJobGroup("another-job", "a job of someone else's on the same session", true);
              try {
                return spark
                    .range(0, 1, 1, 1)
                    .map(
                        (org.apache.spark.api.java.function.MapFunction<Long, Long>)
                            i -> {
                              otherStarted.countDown();
                              otherMayEnd.await();
                              return i;
                            },
                        org.apache.spark.sql.Encoders.LONG())
                    .count();
              } finally {
                sc.clearJobGroup();
              }
            });
    try {
      assertThat(otherStarted.await(2, TimeUnit.MINUTES)).as("the other job's task runs").isTrue();
      CompletableFuture<Void> failing =
          CompletableFuture.runAsync(
              () -> {
                try (JobScope job = JobScope.start(sc, "test: fails alone", WAIT_LONG)) {
                  assertThat(job.tag()).startsWith("cellspark-");
                  spark
                      .range(0, 1, 1, 1)
                      .foreach(
                          (ForeachFunction<Long>)
                              i -> {
                                throw new IllegalStateException("this job fails");
                              });
                }
              });
      // The failed job's scope closes while the other job's task is still running.
      assertThatThrownBy(() -> failing.get(2, TimeUnit.MINUTES))
          .hasStackTraceContaining("this job fails");
    } finally {
      otherMayEnd.countDown();
    }
    assertThat(other.get(2, TimeUnit.MINUTES))
        .as("the other job finished, not cancelled")
        .isEqualTo(1L);
  }
}
