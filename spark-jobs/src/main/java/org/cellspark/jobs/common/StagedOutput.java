package org.cellspark.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.FileSystems;
import org.cellspark.io.PathGlobs;

/**
 * A job's output folder, written complete or not at all: everything goes to a hidden staging folder
 * beside the target ({@code .NAME.cellspark-staging-UUID}) and is renamed into place only when the
 * job has succeeded, summary included. A failed run leaves no folder that looks like output, and a
 * failed {@code --overwrite} run leaves the previous output as it was.
 *
 * <p>On object stores a rename is a copy: still correct, slower. The target is replaced by deleting
 * it and renaming the staging folder, which is not atomic: a reader in between sees no output.
 */
public final class StagedOutput {
  public static final String SUMMARY_FILE = "_cellspark.json";

  /**
   * The {@code _cellspark.json} of a finished output folder, or null when the folder (or its
   * summary, the last thing a job writes) does not exist.
   */
  /**
   * The folder beside output {@code target} (a qualified path) where a job keeps what a stopped run
   * resumes from ({@code .NAME.cellspark-work}): perturb's work units, finetune's epochs.
   */
  public static Path workFolder(String target) {
    Path t = new Path(target);
    return new Path(t.getParent(), "." + t.getName() + ".cellspark-work");
  }

  public static JsonNode summaryOf(String folder, Configuration conf) {
    Path summary = new Path(folder, SUMMARY_FILE);
    try {
      FileSystem fs = FileSystems.of(summary, conf);
      if (!fs.exists(summary)) {
        return null;
      }
      try (InputStream in = fs.open(summary)) {
        return new ObjectMapper().readTree(in);
      }
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", summary, e.getMessage());
    }
  }

  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final String spelling;

  private StagedOutput(FileSystem fs, Path target, Path staging, String spelling) {
    this.fs = fs;
    this.target = target;
    this.staging = staging;
    this.spelling = spelling;
  }

  /**
   * Checks the target before any work: it must not exist (unless {@code overwrite}) and must not
   * hold any input (overwriting would delete inputs).
   */
  public static StagedOutput prepare(
      String output, boolean overwrite, Configuration conf, List<String> inputUris) {
    Path target = new Path(output);
    try {
      FileSystem fs = FileSystems.of(target, conf);
      target = fs.makeQualified(target);
      if (target.isRoot()) {
        // Replacing it would empty the bucket or disk; and the output is staged beside itself.
        throw UserException.of(
            "Output %s is the root of its bucket or file system; write into a folder in it, e.g."
                + " %s",
            output, new Path(target, "output"));
      }
      String targetUri = comparable(target);
      for (String input : inputUris) {
        // Each input qualified by its own file system: a local atlas may be written to S3 or HDFS.
        Path inputPath = new Path(input);
        String in = comparable(inputPath.getFileSystem(conf).makeQualified(inputPath));
        if (in.equals(targetUri)
            || in.startsWith(targetUri.endsWith("/") ? targetUri : targetUri + "/")) {
          throw UserException.of(
              "Output %s would contain the input %s; choose an output folder outside the inputs"
                  + " (inputs are never modified)",
              output, input);
        }
      }
      if (fs.exists(target)) {
        if (!overwrite) {
          throw UserException.of(
              "Output %s already exists; pass --overwrite to replace it, or choose another folder",
              output);
        }
        if (fs.getFileStatus(target).isFile()) {
          throw UserException.of(
              "Output %s is a file, not a folder; remove it or choose another", output);
        }
      }
      Path parent = target.getParent();
      if (parent != null && !fs.exists(parent) && !fs.mkdirs(parent)) {
        throw UserException.of("Cannot create the folder %s for output %s", parent, output);
      }
      Path staging =
          new Path(parent, "." + target.getName() + ".cellspark-staging-" + UUID.randomUUID());
      if (!fs.mkdirs(staging)) {
        throw UserException.of(
            "Cannot write to %s (creating %s failed); check permissions", parent, staging);
      }
      // Spark wants to create the folder itself; we only checked that we may.
      fs.delete(staging, true);
      return new StagedOutput(fs, target, staging, output);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write output %s: %s", output, FileSystemHints.explain(output, e));
    }
  }

  /**
   * A qualified path in one spelling, to compare locations by: Hadoop qualifies {@code /tmp/a} as
   * {@code file:///tmp/a} and leaves {@code file:/tmp/a} as it is, the same folder spelled two ways
   * (an output given as {@code file:/tmp/atlases} once passed as outside the input {@code
   * /tmp/atlases}, and --overwrite deleted the input).
   */
  private static String comparable(Path qualified) {
    java.net.URI u = qualified.toUri();
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    String authority = u.getAuthority() == null ? "" : u.getAuthority();
    return scheme + "://" + authority + u.getPath();
  }

  /**
   * Where the job writes: a folder that does not exist yet. As Spark and Hadoop take a path string
   * (Hadoop's Path.toString: not percent-encoded, so a space stays a space).
   */
  public String stagingLocation() {
    return staging.toString();
  }

  /**
   * The table {@code name} the job wrote into the staging folder, as a path Spark's readers take
   * literally: they read a path as a glob pattern, and the output's name (hence its staging
   * folder's) may hold glob characters ({@code embeddings[v2]}).
   */
  public String stagedTable(String name) {
    return PathGlobs.literal(stagingLocation() + "/" + name);
  }

  /** The output folder, as {@link #stagingLocation} gives the staging one. */
  public String targetLocation() {
    return target.toString();
  }

  /** Creates the staging folder, for writers other than Spark's (which create it themselves). */
  public void createStaging() {
    try {
      if (!fs.mkdirs(staging)) {
        throw UserException.of(
            "Cannot create %s for output %s; check permissions", staging, spelling);
      }
    } catch (IOException e) {
      throw UserException.because(e, "Cannot write output %s: %s", spelling, e.getMessage());
    }
  }

  /** Writes a small text file (the job summary) into the staging folder. */
  public void writeText(String name, String content) {
    writeBytes(name, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes a small file into the staging folder ({@code name} may hold sub-folders). */
  public void writeBytes(String name, byte[] content) {
    try (OutputStream out = fs.create(new Path(staging, name), true)) {
      out.write(content);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write %s into output %s: %s", name, spelling, e.getMessage());
    }
  }

  /** Moves the staged output into place, replacing an older one. */
  public void commit() {
    removePrevious();
    moveIntoPlace();
  }

  /** Commit's first step: the previous output, if any, deleted. */
  void removePrevious() {
    try {
      if (fs.exists(target) && !fs.delete(target, true)) {
        throw UserException.of("Cannot remove the previous output %s; check permissions", spelling);
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot move the finished output into %s: %s", spelling, e.getMessage());
    }
  }

  /**
   * Commit's second step: the staging folder renamed to the output. Two runs writing one output at
   * once (an Airflow task and its retry, two DAG runs over one workdir) can both delete before
   * either renames; the second rename then lands inside the first's output, as Hadoop's renames
   * (local, HDFS, S3A) move a folder into an existing one, and that output would hold a stray
   * folder while this run reported success. Found after the rename, this run's copy is removed
   * again and the run refused: the output stays the other run's, complete.
   */
  void moveIntoPlace() {
    try {
      if (!fs.rename(staging, target)) {
        throw UserException.of(
            "Cannot move the finished output into %s; check permissions", spelling);
      }
      Path landedInside = new Path(target, staging.getName());
      if (fs.exists(landedInside)) {
        fs.delete(landedInside, true);
        throw UserException.of(
            "Another run wrote output %s while this one was finishing; it holds that run's"
                + " complete output, and this run's was discarded. Run one job per output folder at"
                + " a time (an Airflow task and its retry, or two DAG runs over one workdir, write"
                + " the same folders)",
            spelling);
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot move the finished output into %s: %s", spelling, e.getMessage());
    }
  }

  /** Removes whatever was staged; safe to call after commit or twice. */
  public void abort() {
    try {
      if (fs.exists(staging)) {
        fs.delete(staging, true);
      }
    } catch (IOException ignored) {
      // best effort: the folder is hidden and named as staging
    }
  }
}
