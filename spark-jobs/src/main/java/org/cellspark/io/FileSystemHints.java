package org.cellspark.io;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.cellspark.error.Causes;

/**
 * What to tell a user whose path Hadoop cannot open: for a missing connector, which one to add; for
 * a file system that does not answer, that it cannot be reached (Hadoop's own text for a refused
 * connection is a wiki link).
 */
public final class FileSystemHints {
  private FileSystemHints() {}

  /**
   * {@code e}'s message, with the connector to install when the path's scheme has none on the
   * classpath.
   */
  public static String explain(String path, IOException e) {
    URI uri = URI.create(path.replace(" ", "%20"));
    Throwable unreachable =
        Causes.first(
            e,
            c ->
                c instanceof ConnectException
                    || c instanceof UnknownHostException
                    || c instanceof SocketTimeoutException
                    || c instanceof NoRouteToHostException);
    if (unreachable != null) {
      return String.format(
          Locale.ROOT,
          "the file system at %s cannot be reached (%s: %s); check the host"
              + " and port, that the service runs, and the network route from this machine",
          uri.getAuthority() == null ? path : uri.getScheme() + "://" + uri.getAuthority(),
          unreachable.getClass().getSimpleName(),
          unreachable.getMessage());
    }
    if (!(e instanceof UnsupportedFileSystemException)) {
      return e.getMessage();
    }
    String scheme = uri.getScheme();
    String fix =
        switch (scheme == null ? "" : scheme.toLowerCase(Locale.ROOT)) {
          case "s3a" ->
              "add hadoop-aws 3.3.4 (the version of Spark's Hadoop) to the classpath, e.g."
                  + " --packages org.apache.hadoop:hadoop-aws:3.3.4";
          case "s3", "s3n" -> "use s3a:// (Hadoop's S3 connector), or EMRFS's s3:// on EMR";
          case "gs" ->
              "add the Cloud Storage connector (gcs-connector, shaded, for Hadoop 3); Dataproc"
                  + " clusters have it";
          case "abfs", "abfss", "wasb", "wasbs" -> "add hadoop-azure 3.3.4 to the classpath";
          default -> "check the path's scheme, or add the Hadoop connector for it";
        };
    return String.format(
        Locale.ROOT, "no Hadoop file system for %s:// on the classpath; %s", scheme, fix);
  }
}
