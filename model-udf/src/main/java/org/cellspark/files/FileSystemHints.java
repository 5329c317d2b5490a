package org.cellspark.files;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.util.Locale;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.cellspark.error.Causes;

/**
 * What to tell a user whose path Hadoop cannot open: for a missing connector, which one to add; for
 * a file system that does not answer, that it cannot be reached (Hadoop's own text for a refused
 * connection is a wiki link); for a store that refuses the credentials or has none, what it said
 * and where credentials come from; for an S3-compatible store without ETags, the setting to pass.
 */
public final class FileSystemHints {
  private FileSystemHints() {}

  private static final String WITHOUT_ETAG =
      "the store sent the object without the ETag S3A checks it by (some S3-compatible stores omit"
          + " it)";

  /**
   * {@code e}'s message, with the connector to install when the path's scheme has none on the
   * classpath.
   */
  public static String explain(String path, IOException e) {
    URI uri = uri(path);
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
          store(uri, path),
          unreachable.getClass().getSimpleName(),
          unreachable.getMessage());
    }
    Throwable noVersion =
        Causes.first(
            e,
            c ->
                c.getClass()
                    .getName()
                    .equals("org.apache.hadoop.fs.s3a.NoVersionAttributeException"));
    if (noVersion != null) {
      return String.format(
          Locale.ROOT,
          "%s; %s: pass --conf spark.hadoop.fs.s3a.change.detection.version.required=false",
          firstLine(noVersion.getMessage()),
          WITHOUT_ETAG);
    }
    // Hadoop 3.5's S3A reads through the analytics accelerator by default, whose HEAD of the
    // object fails with this NullPointerException (wrapped in an IOException) where the store
    // sends no ETag, before S3A's own change detection is asked. Its classic input stream reads
    // such objects once change detection lets it.
    Throwable noEtagForStream =
        Causes.first(
            e,
            c ->
                c instanceof NullPointerException
                    && c.getMessage() != null
                    && c.getMessage().startsWith("etag is marked non-null"));
    if (noEtagForStream != null) {
      return String.format(
          Locale.ROOT,
          "%s; %s, and Hadoop %s's S3A input stream (the analytics accelerator) cannot read such an"
              + " object: pass --conf spark.hadoop.fs.s3a.input.stream.type=classic --conf"
              + " spark.hadoop.fs.s3a.change.detection.version.required=false",
          firstLine(e.getMessage()),
          WITHOUT_ETAG,
          org.apache.hadoop.util.VersionInfo.getVersion());
    }
    Throwable noCredentials = Causes.first(e, FileSystemHints::isMissingCredentials);
    if (noCredentials != null) {
      return String.format(
          Locale.ROOT,
          "no credentials to reach %s (%s). Give S3A credentials: spark.hadoop.fs.s3a.access.key"
              + " and spark.hadoop.fs.s3a.secret.key (--conf, or spark-defaults.conf), the"
              + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, or a role"
              + " of the machine (spark.hadoop.fs.s3a.aws.credentials.provider picks the"
              + " sources)",
          store(uri, path),
          firstLine(noCredentials.getMessage()));
    }
    Throwable denied =
        Causes.first(
            e,
            c ->
                c instanceof AccessDeniedException
                    || c instanceof org.apache.hadoop.security.AccessControlException);
    if (denied != null) {
      return accessRefused(uri, path, denied);
    }
    if (!(e instanceof UnsupportedFileSystemException)) {
      return e.getMessage();
    }
    String scheme = uri.getScheme();
    // The connectors must match the Hadoop Spark runs with (3.3.4 for Spark 3.5, 3.4.1 for 4.0).
    String hadoop = org.apache.hadoop.util.VersionInfo.getVersion();
    String fix =
        switch (scheme == null ? "" : scheme.toLowerCase(Locale.ROOT)) {
          case "s3a" ->
              "add hadoop-aws "
                  + hadoop
                  + " (the version of Spark's Hadoop) to the classpath, e.g. --packages"
                  + " org.apache.hadoop:hadoop-aws:"
                  + hadoop;
          case "s3", "s3n" -> "use s3a:// (Hadoop's S3 connector), or EMRFS's s3:// on EMR";
          case "gs" ->
              "add the Cloud Storage connector (gcs-connector, shaded, for Hadoop 3); Dataproc"
                  + " clusters have it";
          case "abfs", "abfss", "wasb", "wasbs" ->
              "add hadoop-azure " + hadoop + " to the classpath";
          default -> "check the path's scheme, or add the Hadoop connector for it";
        };
    return String.format(
        Locale.ROOT, "no Hadoop file system for %s:// on the classpath; %s", scheme, fix);
  }

  /**
   * S3A's "no credentials" (CredentialInitializationException and its subclasses, raised by the
   * credential providers when none of them has any), found by name: hadoop-aws is the platform's on
   * clusters and may be missing, and its classes must not be loaded for other stores.
   */
  private static boolean isMissingCredentials(Throwable t) {
    for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("org.apache.hadoop.fs.s3a.CredentialInitializationException")) {
        return true;
      }
    }
    return false;
  }

  /** The store refused the request: what it said, and what to check for that kind of store. */
  private static String accessRefused(URI uri, String path, Throwable denied) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String check =
        switch (scheme) {
          case "s3a", "s3", "s3n" ->
              "the credentials S3A used are wrong or not allowed: check the access key and secret"
                  + " (spark.hadoop.fs.s3a.access.key / secret.key, AWS_ACCESS_KEY_ID /"
                  + " AWS_SECRET_ACCESS_KEY) or the role of the machine, and that they may list"
                  + " the bucket and read its objects (and write and delete them, for an output)";
          case "gs" ->
              "check that the service account in use may list the bucket and read its objects"
                  + " (and write and delete them, for an output)";
          case "hdfs", "viewfs" -> "check the path's HDFS permissions for the user the job runs as";
          default -> "check the permissions of the path for the user the job runs as";
        };
    return String.format(
        Locale.ROOT,
        "access to %s was refused (%s); %s",
        store(uri, path),
        reason(denied.getMessage()),
        check);
  }

  /**
   * The path as a URI, through Hadoop's Path: a Hadoop path string may hold characters a URI may
   * not ('%', '#', spaces), and this runs while reporting another failure, so it must not fail.
   */
  private static URI uri(String path) {
    try {
      return new org.apache.hadoop.fs.Path(path).toUri();
    } catch (IllegalArgumentException e) {
      return URI.create("");
    }
  }

  /** The bucket or host a path is on ({@code s3a://bucket}), or the path when it names none. */
  private static String store(URI uri, String path) {
    return uri.getAuthority() == null ? path : uri.getScheme() + "://" + uri.getAuthority();
  }

  /** AWS SDK v1's (hadoop-aws 3.3, Spark 3.5): "Status Code: 403; Error Code: AccessDenied;". */
  private static final java.util.regex.Pattern STATUS =
      java.util.regex.Pattern.compile("Status Code: (\\d+); Error Code: ([^;]+);");

  /**
   * AWS SDK v2's (hadoop-aws 3.4 and later, Spark 4): "S3Exception: Access Denied (Service: S3,
   * Status Code: 403, Request ID: ...)", with "null" for the text where the answer had no body (a
   * HEAD).
   */
  private static final java.util.regex.Pattern STATUS_V2 =
      java.util.regex.Pattern.compile("Exception: (.*?) \\(Service: [^,]*, Status Code: (\\d+)");

  /**
   * The store's answer in a few words: "403 Forbidden" from the AWS SDK's long text (request IDs,
   * proxy), or the first line of any other (HDFS says who was refused what).
   */
  private static String reason(String message) {
    if (message == null) {
      return "no reason given";
    }
    java.util.regex.Matcher m = STATUS.matcher(message);
    if (m.find()) {
      String code = m.group(2).trim();
      return code.startsWith(m.group(1)) ? code : m.group(1) + " " + code;
    }
    java.util.regex.Matcher v2 = STATUS_V2.matcher(message);
    if (v2.find()) {
      String text = v2.group(1).trim();
      int status = Integer.parseInt(v2.group(2));
      return status + " " + (text.isEmpty() || text.equals("null") ? httpReason(status) : text);
    }
    return firstLine(message);
  }

  /** The standard reason phrase of the HTTP statuses a store answers with. */
  private static String httpReason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "from the store";
    };
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no reason given";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
