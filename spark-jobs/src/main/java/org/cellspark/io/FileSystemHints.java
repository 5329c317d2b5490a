package org.cellspark.io;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/** What to tell a user whose path Hadoop cannot open: for a missing connector, which one to add. */
public final class FileSystemHints {
  private FileSystemHints() {}

  /** {@code e}'s message, with the connector to install when the path's scheme has none on the classpath. */
  public static String explain(String path, IOException e) {
    if (!(e instanceof UnsupportedFileSystemException)) {
      return e.getMessage();
    }
    String scheme = URI.create(path.replace(" ", "%20")).getScheme();
    String fix = switch (scheme == null ? "" : scheme.toLowerCase(Locale.ROOT)) {
      case "s3a" -> "add hadoop-aws 3.3.4 (the version of Spark's Hadoop) to the classpath, e.g. --packages org.apache.hadoop:hadoop-aws:3.3.4";
      case "s3", "s3n" -> "use s3a:// (Hadoop's S3 connector), or EMRFS's s3:// on EMR";
      case "gs" -> "add the Cloud Storage connector (gcs-connector, shaded, for Hadoop 3); Dataproc clusters have it";
      case "abfs", "abfss", "wasb", "wasbs" -> "add hadoop-azure 3.3.4 to the classpath";
      default -> "check the path's scheme, or add the Hadoop connector for it";
    };
    return String.format(Locale.ROOT, "no Hadoop file system for %s:// on the classpath; %s", scheme, fix);
  }
}
