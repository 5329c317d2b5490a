package org.cellspark.jobs.perturb;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The files a screen checkpoints finished work units into, in its work folder's {@code units/}.
 *
 * <p>A task writes one file for many units ({@code units-UUID.bin}: a header listing the units,
 * then each unit's {@link UnitResult}, framed by a magic number at both ends), not one per unit:
 * creating a file is a NameNode round trip and a block pipeline on HDFS, and a PUT plus a copy on
 * object stores (where a rename is a copy), about 0.1 s either way, while a unit of a gene-list
 * screen (one cell, a few perturbations) runs in milliseconds on a GPU. Files are written aside and
 * renamed into place, so a file with a checkpoint's name is whole. Work folders of earlier versions
 * hold one file per unit ({@code unit-N.bin}, a bare {@link UnitResult}); those are read too.
 *
 * <p>Two attempts of a task (a retry racing a lost executor's zombie, speculation) can checkpoint
 * the same unit in two files; readers take each unit from the first file, by name, that holds it
 * ({@link WorkDir#index}).
 */
final class CheckpointFiles {
  private CheckpointFiles() {}

  private static final int MAGIC = 0x43535043; // "CSPC"

  /** Every checkpoint file's name matches this glob (and no temporary's: those start with "."). */
  static final String GLOB = "unit*.bin";

  /** Whether a file name is a checkpoint of many units (else perhaps one of the older kind). */
  static boolean isBatch(String fileName) {
    return fileName.startsWith("units-") && fileName.endsWith(".bin");
  }

  /** Whether a file name is a finished checkpoint, of either kind (not a temporary). */
  static boolean isCheckpoint(String fileName) {
    return isBatch(fileName) || legacyUnitOf(fileName) >= 0;
  }

  /**
   * The unit of an earlier version's one-unit file ({@code unit-N.bin}), or -1 for any other name
   * (batches, temporaries).
   */
  static int legacyUnitOf(String fileName) {
    if (!fileName.startsWith("unit-") || !fileName.endsWith(".bin")) {
      return -1;
    }
    try {
      return Integer.parseInt(fileName.substring(5, fileName.length() - 4));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** An earlier version's name for unit {@code unit}'s file (for tests of reading them). */
  static String legacyName(int unit) {
    return String.format(Locale.ROOT, "unit-%08d.bin", unit);
  }

  /**
   * Writes {@code units} into a new checkpoint file of folder {@code dir}: aside under a hidden
   * name, then renamed into place. Returns the file's name.
   */
  static String write(FileSystem fs, Path dir, List<UnitResult> units) throws IOException {
    String name = "units-" + UUID.randomUUID() + ".bin";
    Path temp = new Path(dir, "." + name + ".tmp");
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(fs.create(temp, false), 1 << 16))) {
      out.writeInt(MAGIC);
      out.writeInt(units.size());
      for (UnitResult u : units) {
        out.writeInt(u.unit());
      }
      for (UnitResult u : units) {
        u.write(out);
      }
      out.writeInt(MAGIC);
    }
    if (!fs.rename(temp, new Path(dir, name))) {
      fs.delete(temp, false);
      throw new IOException("could not rename " + temp + " to " + name + " in " + dir);
    }
    return name;
  }

  /** The units a checkpoint file holds, from its header alone (or its name, for older files). */
  static int[] unitsOf(FileSystem fs, Path file) throws IOException {
    String name = file.getName();
    int legacy = legacyUnitOf(name);
    if (legacy >= 0) {
      return new int[] {legacy};
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(file), 8192))) {
      return header(in, file.toString());
    } catch (EOFException e) {
      throw new IOException(file + " is incomplete", e);
    }
  }

  /** Every unit a checkpoint file holds, in file order (a list the caller may change). */
  static List<UnitResult> read(InputStream stream, String path) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
    List<UnitResult> out = new ArrayList<>();
    try {
      if (legacyUnitOf(new Path(path).getName()) >= 0) {
        out.add(UnitResult.read(in, path));
        return out;
      }
      for (int id : header(in, path)) {
        UnitResult u = UnitResult.read(in, path);
        if (u.unit() != id) {
          throw new IOException(path + " holds unit " + u.unit() + " where its header says " + id);
        }
        out.add(u);
      }
      if (in.readInt() != MAGIC) {
        throw new IOException(path + " is incomplete");
      }
      return out;
    } catch (EOFException e) {
      throw new IOException(path + " is incomplete", e);
    }
  }

  private static int[] header(DataInputStream in, String path) throws IOException {
    if (in.readInt() != MAGIC) {
      throw new IOException(path + " is not a Cellspark checkpoint file");
    }
    int[] ids = new int[in.readInt()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = in.readInt();
    }
    return ids;
  }
}
