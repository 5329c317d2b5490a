package org.cellspark.io;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.files.FileSystems;

/**
 * Paths whose names hold glob characters ({@code []{}*?\}). Hadoop's globbing, which Spark's file
 * readers and {@code textFile} apply to every path they are given, reads {@code run[1].h5ad} as
 * "run1.h5ad" and {@code results{v2}} as "resultsv2", so a file or folder really named that way was
 * reported missing. A user's input is therefore the file or folder of that name when one exists,
 * and a pattern otherwise (shells have already expanded what the user left unquoted); a path
 * Cellspark itself names (an output, its staging folder) is always literal.
 */
public final class PathGlobs {
  private static final String GLOB_CHARACTERS = "{}[]*?\\";

  private PathGlobs() {}

  /** Whether Hadoop would read {@code path} as a pattern. */
  public static boolean hasGlob(String path) {
    return path.chars().anyMatch(c -> GLOB_CHARACTERS.indexOf(c) >= 0);
  }

  /**
   * {@code path} escaped so that a reader that globs finds the file or folder of exactly that name:
   * each glob character behind a backslash, which Hadoop's glob reads as the character itself.
   */
  public static String literal(String path) {
    if (!hasGlob(path)) {
      return path;
    }
    StringBuilder out = new StringBuilder(path.length() + 8);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (GLOB_CHARACTERS.indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  /**
   * What to hand a reader that globs for the input a user named: the file or folder of that name
   * when it exists (escaped), else {@code spec} as given, a pattern. A spec that cannot be checked
   * (an unreachable store) is passed as given, so that the reader reports why.
   */
  public static String input(String spec, Configuration conf) {
    if (!hasGlob(spec)) {
      return spec;
    }
    Path p = new Path(spec);
    try {
      return FileSystems.of(p, conf).exists(p) ? literal(spec) : spec;
    } catch (IOException | IllegalArgumentException e) {
      return spec;
    }
  }

  /**
   * What the input a user named matches, as Hadoop's file statuses: the file or folder of that name
   * when it exists, else the pattern's matches (null or empty: none). A file named run[1].h5ad is
   * that file, not a pattern for run1.h5ad.
   */
  public static FileStatus[] matches(FileSystem fs, Path spec) throws IOException {
    return hasGlob(spec.toString()) && fs.exists(spec)
        ? new FileStatus[] {fs.getFileStatus(spec)}
        : fs.globStatus(spec);
  }

  /**
   * Why a pattern may match nothing: a folder in it whose own name holds glob characters ({@code
   * data [1]/*.h5ad}), which the pattern reads as a pattern too. Says how to write it instead
   * ({@code data \[1\]/*.h5ad}), or nothing when no such folder exists.
   */
  static String escapeHint(FileSystem fs, Path pattern) {
    for (Path folder = pattern.getParent(); folder != null; folder = folder.getParent()) {
      String name = folder.getName();
      if (!hasGlob(name)) {
        continue;
      }
      try {
        if (fs.exists(folder)) {
          String rest = pattern.toString().substring(folder.toString().length());
          return String.format(
              "; the folder %s has glob characters in its name: in a pattern, put \\ before each"
                  + " of them (%s)",
              folder, literal(folder.toString()) + rest);
        }
      } catch (IOException | IllegalArgumentException e) {
        return "";
      }
    }
    return "";
  }
}
