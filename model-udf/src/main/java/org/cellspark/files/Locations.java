package org.cellspark.files;

import java.util.Locale;

/**
 * What a location a user gives names, from its spelling alone. Free of Hadoop and Spark, so the
 * engine's own classes (which run where neither is, as on a bare GPU machine) may ask it.
 */
public final class Locations {
  private Locations() {}

  /**
   * Whether {@code location} names a file system other than the local one: a URI whose scheme is
   * not {@code file:} (s3a://, gs://, hdfs://...). Cellspark's bundled vocabularies ({@code
   * builtin:}) have no "//"; a scheme of one letter is a Windows drive.
   */
  public static boolean isRemote(String location) {
    int colon = location.indexOf(':');
    if (colon < 2 || !location.startsWith("//", colon + 1)) {
      return false;
    }
    String scheme = location.substring(0, colon).toLowerCase(Locale.ROOT);
    return scheme.matches("[a-z][a-z0-9+.-]*") && !scheme.equals("file");
  }
}
