package org.cellspark.spark;

import java.io.IOException;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;

/**
 * Test-only faults, for the fault-tolerance tests (FaultToleranceIT): off unless a Spark setting
 * asks for them, and then only on a task's first attempt (the executor kill: only in a stage's
 * first attempt), so that Spark's retries always get through. The tasks of tokenize, embed and
 * perturb call {@link #midTask} once each, after they have written some of their output, so a fault
 * leaves a half-written task behind for Spark (and our staging) to discard.
 *
 * <ul>
 *   <li>{@value #FAIL_TASKS} = fraction in [0, 1]: that share of tasks (chosen by a hash of stage
 *       and partition, so a rerun fails the same ones) throws {@link InjectedFault}.
 *   <li>{@value #KILL_EXECUTOR_AT} = partition number: the executor running that partition's task
 *       kills its own JVM with SIGKILL (no shutdown hooks, no goodbye to the driver), as a node
 *       loss or the kernel's OOM killer would. Never in the driver's JVM (local masters).
 *   <li>{@value #STOP_PERTURB_AFTER_UNITS} = n: each perturb task stops (fails) once it has written
 *       n work units, every attempt, so the screen fails part-way with checkpoints to resume from.
 *       Read from the session when the screen starts.
 * </ul>
 *
 * <p>Cost when off: two configuration lookups per task.
 */
public final class FaultInjection {
  public static final String FAIL_TASKS = "spark.cellspark.test.failTasks";
  public static final String KILL_EXECUTOR_AT = "spark.cellspark.test.killExecutorAtPartition";
  public static final String STOP_PERTURB_AFTER_UNITS =
      "spark.cellspark.test.stopPerturbAfterUnits";

  /**
   * The fine-tune task stops (fails) when it has saved its state at the end of this epoch, so the
   * job fails part-way with a state to resume from. An attempt that resumed from that state does
   * not save it again and goes on: where Spark runs the task again (a data-parallel training's
   * barrier stage; a cluster's task retries) the run ends as an uninterrupted one, and where it
   * does not (a local session's tasks) the rerun command does. Read from the session when the job
   * starts.
   */
  public static final String STOP_FINETUNE_AFTER_EPOCHS =
      "spark.cellspark.test.stopFinetuneAfterEpochs";

  /**
   * The fine-tune (or pretraining) task stops once it has checkpointed after this many optimizer
   * steps or more, part-way through an epoch when it saves within epochs, every attempt (saves
   * within an epoch follow the clock, so a state after exactly this step may never be saved). Read
   * as the one above.
   */
  public static final String STOP_FINETUNE_AFTER_STEPS =
      "spark.cellspark.test.stopFinetuneAfterSteps";

  /**
   * Where a training task stops, as a test asked ({@value #STOP_FINETUNE_AFTER_EPOCHS}, {@value
   * #STOP_FINETUNE_AFTER_STEPS}); 0 = never.
   */
  public record TrainingStop(int epochs, int steps) implements java.io.Serializable {
    public static final TrainingStop NEVER = new TrainingStop(0, 0);

    /**
     * Throws the injected failure when a state saved after {@code epochsDone} epochs and {@code
     * steps} steps ({@code withinEpoch}: part-way through the next) is where to stop.
     */
    public void check(int epochsDone, int steps, boolean withinEpoch) {
      if (epochs > 0 && !withinEpoch && epochsDone == epochs) {
        throw new InjectedFault(
            "stopped after epoch " + epochsDone + " (" + STOP_FINETUNE_AFTER_EPOCHS + ")");
      }
      if (this.steps > 0 && steps >= this.steps) {
        throw new InjectedFault(
            "stopped after step " + steps + " (" + STOP_FINETUNE_AFTER_STEPS + ")");
      }
    }
  }

  private FaultInjection() {}

  /** A task failure the test asked for; Spark retries the task. */
  public static final class InjectedFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedFault(String message) {
      super(message);
    }
  }

  /**
   * The work units after which each perturb task stops ({@value #STOP_PERTURB_AFTER_UNITS}), 0 for
   * never.
   */
  public static int stopAfterUnits(SparkSession spark) {
    return Integer.parseInt(spark.conf().get(STOP_PERTURB_AFTER_UNITS, "0").trim());
  }

  /** Where the fine-tune task stops, as the session says when the job starts. */
  public static TrainingStop trainingStop(SparkSession spark) {
    return new TrainingStop(
        Integer.parseInt(spark.conf().get(STOP_FINETUNE_AFTER_EPOCHS, "0").trim()),
        Integer.parseInt(spark.conf().get(STOP_FINETUNE_AFTER_STEPS, "0").trim()));
  }

  /** Called once per task by a job's task code, part-way through its output. */
  public static void midTask(String job) {
    TaskContext task = TaskContext.get();
    SparkEnv env = SparkEnv.get();
    if (task == null || env == null || task.attemptNumber() > 0) {
      return;
    }
    SparkConf conf = env.conf();
    String kill = conf.get(KILL_EXECUTOR_AT, null);
    // Only in a stage's first attempt: a lost executor takes its shuffle files along, which makes
    // Spark run the stage again, and a kill there too would repeat until the job gave up.
    if (kill != null
        && task.stageAttemptNumber() == 0
        && task.partitionId() == Integer.parseInt(kill.trim())
        && !"driver".equals(env.executorId())) {
      killThisJvm();
    }
    String fail = conf.get(FAIL_TASKS, null);
    if (fail != null
        && share(task.stageId(), task.partitionId()) < Double.parseDouble(fail.trim())) {
      throw new InjectedFault(
          String.format(
              Locale.ROOT,
              "injected fault (%s): %s task for partition %d of stage %d",
              FAIL_TASKS,
              job,
              task.partitionId(),
              task.stageId()));
    }
  }

  /** A number in [0, 1) fixed by stage and partition. */
  static double share(int stage, int partition) {
    long h = (stage * 0x9E3779B97F4A7C15L) ^ (partition * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53;
  }

  private static void killThisJvm() {
    try {
      new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid()))
          .inheritIO()
          .start()
          .waitFor();
    } catch (IOException e) {
      // no kill command: halting skips shutdown hooks too
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runtime.getRuntime().halt(137);
  }
}
