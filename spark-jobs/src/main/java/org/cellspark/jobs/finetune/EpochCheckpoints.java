package org.cellspark.jobs.finetune;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.spark.FaultInjection;
import org.cellspark.train.FineTuner;

/**
 * A fine-tune's epoch checkpoints, beside its output: {@code .NAME.cellspark-work/} holds {@code
 * plan.txt} (the fingerprint: options, model, cells) and {@code state.safetensors} (the latest
 * training state, copied from the task's disk after each epoch to a new file that takes the old
 * one's place by two renames, so that a whole state is there whenever the task dies). A run with
 * the same output and fingerprint starts from it; a different one is refused rather than mixed in.
 * The folder goes once the output is committed.
 */
public final class EpochCheckpoints implements FineTuner.Checkpoints {
  private static final String STATE = "state.safetensors";

  /** The state kept before, while a save moves the new one into place. */
  private static final String PREVIOUS = ".previous";

  private final FileSystem fs;
  private final Path root;
  private final FaultInjection.TrainingStop stopAfter;
  private final boolean keeps;

  private EpochCheckpoints(
      FileSystem fs, Path root, FaultInjection.TrainingStop stopAfter, boolean keeps) {
    this.fs = fs;
    this.root = root;
    this.stopAfter = stopAfter;
    this.keeps = keeps;
  }

  /**
   * The checkpoints for a fine-tune with this fingerprint: the folder is created, or the one there
   * checked to belong to the same fine-tune.
   *
   * @param stopAfter where a test kills the task (after epochs or steps)
   */
  static EpochCheckpoints open(
      String target,
      String fingerprint,
      Configuration conf,
      FaultInjection.TrainingStop stopAfter) {
    return open(root(target, null), target, fingerprint, conf, stopAfter);
  }

  /**
   * The checkpoints of one of a job's several trainings (a gene classifier's fold): a folder {@code
   * name} in the work folder beside the output, with its own fingerprint.
   */
  public static EpochCheckpoints open(
      String target,
      String name,
      String fingerprint,
      Configuration conf,
      FaultInjection.TrainingStop stopAfter) {
    return open(root(target, name), target, fingerprint, conf, stopAfter);
  }

  /**
   * The folder of a training's states: the work folder beside the output, or {@code name} in it.
   */
  private static Path root(String target, String name) {
    Path work = StagedOutput.workFolder(target);
    return name == null ? work : new Path(work, name);
  }

  /**
   * The checkpoints {@link #open} opened for worker 0 of a data-parallel training, as the other
   * workers use them: they read the kept state to resume from (the same one: worker 0 keeps a new
   * one only once every worker has resumed), and neither check the plan (worker 0 does, with every
   * cell; they hold no validation cells) nor keep states. {@code name} null: the job's own folder,
   * as {@link #open(String, String, Configuration, FaultInjection.TrainingStop)} opens it.
   */
  public static EpochCheckpoints follow(String target, String name, Configuration conf) {
    Path root = root(target, name);
    try {
      return new EpochCheckpoints(
          root.getFileSystem(conf), root, FaultInjection.TrainingStop.NEVER, false);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot use the checkpoint folder %s: %s", root, e.getMessage());
    }
  }

  private static EpochCheckpoints open(
      Path root,
      String target,
      String fingerprint,
      Configuration conf,
      FaultInjection.TrainingStop stopAfter) {
    try {
      FileSystem fs = root.getFileSystem(conf);
      Path plan = new Path(root, "plan.txt");
      if (fs.exists(plan)) {
        String there;
        try (InputStream in = fs.open(plan)) {
          there = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!there.equals(fingerprint)) {
          throw UserException.of(
              "%s holds the checkpoints of a different fine-tune (other options, model or cells)"
                  + " for output %s. Run with the same options to resume it, or delete %s to start"
                  + " afresh",
              root, target, root);
        }
      } else {
        fs.delete(root, true);
        fs.mkdirs(root);
        // Written aside and renamed: a task killed part-way leaves no plan (the next run starts
        // the folder afresh) rather than part of one (which it would take for another fine-tune's).
        Path next = new Path(root, "plan.txt.next");
        try (OutputStream out = fs.create(next, true)) {
          out.write(fingerprint.getBytes(StandardCharsets.UTF_8));
        }
        if (!fs.rename(next, plan)) {
          throw new IOException("cannot rename " + next + " to " + plan);
        }
      }
      return new EpochCheckpoints(fs, root, stopAfter, true);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot use the checkpoint folder %s: %s", root, e.getMessage());
    }
  }

  /**
   * The kept state, or, when a save was cut off between its two renames (the kept state moved
   * aside, the new one not yet in its place), the state kept before: the run repeats one save's
   * worth of training rather than start afresh.
   */
  @Override
  public boolean latest(java.nio.file.Path into) {
    Path state = new Path(root, STATE);
    try {
      if (!fs.exists(state)) {
        state = new Path(root, STATE + PREVIOUS);
        if (!fs.exists(state)) {
          return false;
        }
      }
      fs.copyToLocalFile(false, state, new Path(into.toUri()), true);
      return true;
    } catch (IOException e) {
      throw UserException.because(
          e,
          "Cannot read the checkpoint %s (%s); delete %s to start the fine-tune afresh",
          state,
          e.getMessage(),
          root);
    }
  }

  /**
   * Keeps {@code local} as the state: copied in beside the kept one (a copy cut off leaves the kept
   * state as it was), the kept one moved aside, the new one moved into its place, the old one
   * deleted. At every point a whole state is there to resume from ({@link #latest}), where a delete
   * before the rename could leave none and a killed run start again from its first epoch.
   */
  @Override
  public void save(java.nio.file.Path local, FineTuner.Progress progress) {
    if (!keeps) {
      throw new IllegalStateException("only worker 0 keeps the training's states");
    }
    Path next = new Path(root, STATE + ".next");
    Path state = new Path(root, STATE);
    Path previous = new Path(root, STATE + PREVIOUS);
    try {
      fs.copyFromLocalFile(false, true, new Path(local.toUri()), next);
      if (fs.exists(state)) {
        fs.delete(previous, false);
        rename(state, previous);
      }
      rename(next, state);
      fs.delete(previous, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    stopAfter.check(progress.epochsDone(), progress.steps(), progress.current().batches() > 0);
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("cannot rename " + from + " to " + to);
    }
  }

  /**
   * Spark marks a task killed (its job failed in another task, or was cancelled) without stopping
   * its thread unless the job asked for interrupts; a training checks between steps and ends (Spark
   * counts it killed, not failed). Without this, a fold whose job had failed trained on in a
   * notebook's session while the notebook ran the job again, both writing the same epoch states.
   */
  @Override
  public void stopIfCancelled() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.killTaskIfInterrupted();
    }
  }

  @Override
  public String location() {
    return root.toString();
  }

  /**
   * The executor's folder for the job's files, which Spark keeps on its local disks (YARN's
   * container folder, or under spark.local.dir), rather than the JVM's /tmp.
   */
  @Override
  public java.nio.file.Path scratch() {
    return java.nio.file.Path.of(SparkFiles.getRootDirectory());
  }

  /** Removes the folder (after the output is committed). */
  public static void delete(String target, Configuration conf) {
    Path root = StagedOutput.workFolder(target);
    try {
      root.getFileSystem(conf).delete(root, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
