package org.cellspark.files;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import org.cellspark.error.UserException;

/**
 * Names the JVM could not read. Java takes the command line and the names of local files in the
 * character set of its locale ({@code sun.jnu.encoding}, from LC_ALL, LC_CTYPE or LANG). In the C
 * or POSIX locale, which minimal containers, cron, some schedulers and YARN containers without a
 * LANG run in, that is ASCII, and every other character of a path (an accent, a letter of another
 * script) arrives as U+FFFD: such a file "does not exist" and a listed one cannot be opened. Where
 * the JVM decodes names in a set that is not UTF-8, a name holding U+FFFD is refused saying why (in
 * UTF-8 a name may hold U+FFFD itself, so there nothing is refused).
 */
public final class FileNameEncoding {
  private FileNameEncoding() {}

  /** This JVM's character set for file names and arguments. */
  public static String ofThisJvm() {
    return System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name());
  }

  /**
   * Refuses {@code name} (an argument, or a file's name as listed: {@code what} says which, e.g.
   * "The argument", "A file in folder /data") when it holds a character this JVM could not decode.
   */
  public static void requireReadable(String what, String name) {
    String problem = problem(ofThisJvm(), what, name);
    if (problem != null) {
      throw UserException.of("%s", problem);
    }
  }

  /**
   * Refuses a local folder holding a file whose name this JVM could not decode. Hadoop's local
   * listing leaves such files out without a word (it cannot find them again by name), so a folder
   * of them would look empty.
   */
  public static void requireReadableNames(java.io.File folder) {
    if (isUtf8(ofThisJvm())) {
      return;
    }
    String[] names = folder.list();
    for (String name : names == null ? new String[0] : names) {
      requireReadable("A file in folder " + folder, name);
    }
  }

  /** The refusal of {@code name} where names are decoded in {@code encoding}, or null. */
  static String problem(String encoding, String what, String name) {
    if (name.indexOf('\uFFFD') < 0 || isUtf8(encoding)) {
      return null;
    }
    return what
        + " '"
        + name.replace('\uFFFD', '?')
        + "' holds characters this JVM could not read: it reads file names and arguments as "
        + encoding
        + ", the character set of its locale (LC_ALL, LC_CTYPE or LANG is C, POSIX or unset),"
        + " which has no such characters. Run it in a UTF-8 locale: export LC_ALL=C.UTF-8"
        + " (bin/cellspark does so itself where the machine has that locale); on a cluster, give"
        + " the driver and executors one: --conf spark.executorEnv.LC_ALL=C.UTF-8 --conf"
        + " spark.yarn.appMasterEnv.LC_ALL=C.UTF-8";
  }

  private static boolean isUtf8(String encoding) {
    try {
      return Charset.forName(encoding).equals(StandardCharsets.UTF_8);
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      return false;
    }
  }
}
