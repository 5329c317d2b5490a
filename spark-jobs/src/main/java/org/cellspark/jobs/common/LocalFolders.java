package org.cellspark.jobs.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;

/**
 * A folder made on this node's disk and copied to where the job writes (local disk, HDFS, S3): for
 * writers that need local files (a model folder written tensor by tensor).
 */
public final class LocalFolders {
  private LocalFolders() {}

  /**
   * Runs {@code write} on a new folder under {@code scratch}, copies the folder to {@code target}
   * and deletes the local one, whatever happens.
   */
  public static void publish(
      java.nio.file.Path scratch,
      String target,
      Configuration conf,
      Consumer<java.nio.file.Path> write)
      throws IOException {
    java.nio.file.Path local = Files.createTempDirectory(scratch, "cellspark-folder-");
    try {
      write.accept(local);
      Path to = new Path(target);
      FileSystem fs = to.getFileSystem(conf);
      FileUtil.copy(local.toFile(), fs, to, true, conf);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      delete(local);
    }
  }

  /** Deletes a folder on this node's disk and everything in it; nothing when it is not there. */
  public static void delete(java.nio.file.Path folder) throws IOException {
    if (folder == null || !Files.exists(folder)) {
      return;
    }
    try (var all = Files.walk(folder)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
