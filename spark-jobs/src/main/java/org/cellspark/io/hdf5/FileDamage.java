package org.cellspark.io.hdf5;

import io.jhdf.exceptions.HdfException;
import java.nio.BufferUnderflowException;

/**
 * Whether a failure while reading an HDF5 dataset came from the file's bytes, so that it is told as
 * a damaged file (exit 2, "copy it again") rather than as a bug. jHDF reports most damage as {@link
 * HdfException}, but some (a block that inflates to the wrong size, an offset past the end) surface
 * as the JDK's IndexOutOfBounds or IllegalArgument exceptions thrown inside jHDF or Cellspark's
 * decompression filters. The same exception types thrown from Cellspark's own reader code are bugs,
 * so the place it was raised decides: the first frame outside the JDK.
 */
public final class FileDamage {
  private FileDamage() {}

  public static boolean isFrom(RuntimeException e) {
    if (e instanceof HdfException) {
      return true;
    }
    if (!(e instanceof IndexOutOfBoundsException
        || e instanceof IllegalArgumentException
        || e instanceof BufferUnderflowException)) {
      return false;
    }
    for (StackTraceElement frame : e.getStackTrace()) {
      String c = frame.getClassName();
      if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.")) {
        continue;
      }
      return c.startsWith("io.jhdf.")
          || c.equals(LzfFilter.class.getName())
          || c.equals(DeflateFilter.class.getName());
    }
    return false;
  }
}
