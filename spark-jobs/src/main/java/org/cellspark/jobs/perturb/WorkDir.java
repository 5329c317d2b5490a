package org.cellspark.jobs.perturb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.StagedOutput;

/**
 * A screen's checkpoints, beside its output: {@code .NAME.cellspark-work/} holds {@code plan.json}
 * (the plan's fingerprint: inputs, model, options and every work unit) and {@code units/} (the
 * finished units, many to a file: {@link CheckpointFiles}). A run with the same output and the same
 * fingerprint picks up the finished units; a different plan is refused rather than mixed in. The
 * folder goes once the output is committed.
 */
final class WorkDir {
  static final String PLAN_FILE = "plan.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final FileSystem fs;
  private final Path root;
  private final Map<String, int[]> headers = new HashMap<>();

  private WorkDir(FileSystem fs, Path root) {
    this.fs = fs;
    this.root = root;
  }

  /** The work folder of output {@code target} (a qualified path). */
  static Path locate(String target) {
    return StagedOutput.workFolder(target);
  }

  /**
   * Opens the work folder for a plan: creates it, or checks that the one there was made for the
   * same plan.
   *
   * @param plan what the plan file records; {@code plan.get("fingerprint")} decides
   */
  static WorkDir open(String target, Map<String, Object> plan, Configuration conf) {
    Path root = locate(target);
    try {
      FileSystem fs = root.getFileSystem(conf);
      Path planFile = new Path(root, PLAN_FILE);
      if (fs.exists(planFile)) {
        JsonNode there;
        try (InputStream in = fs.open(planFile)) {
          there = JSON.readTree(in);
        }
        String fingerprint = String.valueOf(plan.get("fingerprint"));
        if (!fingerprint.equals(there.path("fingerprint").asText())) {
          throw UserException.of(
              "%s holds the checkpoints of a different screen (other inputs, model, options or"
                  + " cells) for output %s. Run with the same options to resume it, or delete %s to"
                  + " start this screen afresh",
              root, target, root);
        }
      } else {
        if (fs.exists(root)) {
          fs.delete(root, true); // created, but no plan written: nothing was checkpointed
        }
        if (!fs.mkdirs(new Path(root, "units"))) {
          throw UserException.of("Cannot create the checkpoint folder %s; check permissions", root);
        }
        try (OutputStream out = fs.create(new Path(root, PLAN_FILE + ".tmp"), true)) {
          out.write(JSON.writeValueAsBytes(plan));
        }
        fs.rename(new Path(root, PLAN_FILE + ".tmp"), planFile);
      }
      return new WorkDir(fs, root);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot use the checkpoint folder %s: %s", root, e.getMessage());
    }
  }

  // Path strings as Spark and Hadoop take them (Path.toString: a space stays a space, where a
  // URI's %20 would be read as part of the name).
  String unitsLocation() {
    return new Path(root, "units").toString();
  }

  String location() {
    return root.toString();
  }

  /**
   * What the checkpoint files hold now. Headers are read once per file and remembered (progress
   * reports ask every few seconds while a screen runs).
   */
  synchronized CheckpointIndex index() {
    Path units = new Path(root, "units");
    try {
      return CheckpointIndex.scan(fs, units, headers);
    } catch (IOException e) {
      throw UserException.because(
          e,
          "Cannot read the checkpoints in %s: %s. A damaged checkpoint file can be deleted: its"
              + " units are computed again",
          units,
          e.getMessage());
    }
  }

  /** The finished units among {@code 0..units-1}. */
  BitSet finished(int units) {
    BitSet done = index().finished();
    if (done.length() > units) {
      done.clear(units, done.length());
    }
    return done;
  }

  /** Removes the folder, once the output is in place. */
  void delete() {
    try {
      fs.delete(root, true);
    } catch (IOException ignored) {
      // a leftover hidden folder; the next run with other options says how to remove it
    }
  }
}
