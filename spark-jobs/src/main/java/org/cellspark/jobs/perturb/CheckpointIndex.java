package org.cellspark.jobs.perturb;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Which units a screen's checkpoint files hold: the files, the finished units, and for each file
 * the units to skip because a file earlier by name holds them too (two attempts of one task both
 * finished them). Readers take units only from the files listed here, so the tables hold exactly
 * the units counted, even if a late attempt writes another file meanwhile.
 *
 * @param files the checkpoint files' names
 * @param finished every unit some file holds
 * @param duplicates file name to the units read from an earlier file instead; usually empty
 */
record CheckpointIndex(Set<String> files, BitSet finished, Map<String, BitSet> duplicates)
    implements Serializable {

  /**
   * Lists {@code units/} and reads each new file's header ({@code known}: headers read before, by
   * file name, filled in here: a checkpoint file never changes once it has its name).
   */
  static CheckpointIndex scan(FileSystem fs, Path dir, Map<String, int[]> known)
      throws IOException {
    FileStatus[] files = fs.listStatus(dir, p -> CheckpointFiles.isCheckpoint(p.getName()));
    Arrays.sort(files, Comparator.comparing(f -> f.getPath().getName()));
    Set<String> names = new HashSet<>();
    BitSet finished = new BitSet();
    Map<String, BitSet> duplicates = new HashMap<>();
    for (FileStatus f : files) {
      String name = f.getPath().getName();
      names.add(name);
      int[] units = known.get(name);
      if (units == null) {
        units = CheckpointFiles.unitsOf(fs, f.getPath());
        known.put(name, units);
      }
      for (int u : units) {
        if (finished.get(u)) {
          duplicates.computeIfAbsent(name, k -> new BitSet()).set(u);
        }
        finished.set(u);
      }
    }
    return new CheckpointIndex(names, finished, duplicates);
  }

  static CheckpointIndex scan(FileSystem fs, Path dir) throws IOException {
    return scan(fs, dir, new HashMap<>());
  }

  /** Whether unit {@code unit} of file {@code fileName} is the one to read. */
  boolean take(String fileName, int unit) {
    BitSet skip = duplicates.get(fileName);
    return files.contains(fileName) && (skip == null || !skip.get(unit));
  }
}
