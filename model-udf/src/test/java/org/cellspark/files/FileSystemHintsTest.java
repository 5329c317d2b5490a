package org.cellspark.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.security.AccessControlException;
import org.junit.jupiter.api.Test;

/**
 * The hints for failures as Hadoop's clients raise them (ErrorCatalogueTest meets the S3 ones on a
 * real S3 server through the command line).
 */
class FileSystemHintsTest {
  @Test
  void anObjectWithoutAnEtagIsToldWithTheSettingsThatReadIt() {
    // Hadoop 3.5 (Spark 4.2): its default input stream's HEAD, as the analytics accelerator
    // raises it; change detection alone does not help there. (Hadoop 3.3 and 3.4's refusal, S3A's
    // change detection, is met on a real server by ErrorCatalogueTest and ObjectStorageTest.)
    IOException analytics =
        new IOException(
            "Error accessing s3://atlases/direct.h5ad",
            new NullPointerException("etag is marked non-null but is null"));
    assertThat(FileSystemHints.explain("s3a://atlases/direct.h5ad", analytics))
        .startsWith(
            "Error accessing s3://atlases/direct.h5ad; the store sent the object without the ETag"
                + " S3A checks it by")
        .endsWith(
            "pass --conf spark.hadoop.fs.s3a.input.stream.type=classic --conf"
                + " spark.hadoop.fs.s3a.change.detection.version.required=false");
  }

  @Test
  void aStoresRefusalIsToldInAFewWordsWithWhatToCheck() {
    IOException s3 =
        new AccessDeniedException(
            "s3a://atlases/a.h5ad: getFileStatus on s3a://atlases/a.h5ad:"
                + " com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service:"
                + " Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 1A2B;"
                + " S3 Extended Request ID: xyz; Proxy: null)");
    assertThat(FileSystemHints.explain("s3a://atlases/a.h5ad", s3))
        .startsWith("access to s3a://atlases was refused (403 AccessDenied); the credentials S3A")
        .doesNotContain("Request ID");

    // AWS SDK v2's words (hadoop-aws 3.4, the Spark 4.0 build), for a HEAD (no body) and a GET.
    IOException head =
        new AccessDeniedException(
            "s3a://atlases/a.h5ad: getFileStatus on s3a://atlases/a.h5ad:"
                + " software.amazon.awssdk.services.s3.model.S3Exception: null (Service: S3,"
                + " Status Code: 403, Request ID: 5410D05AA229A22B):null");
    assertThat(FileSystemHints.explain("s3a://atlases/a.h5ad", head))
        .startsWith("access to s3a://atlases was refused (403 Forbidden); the credentials S3A");
    IOException get =
        new AccessDeniedException(
            "s3a://atlases/a.h5ad: open s3a://atlases/a.h5ad at 0 on s3a://atlases/a.h5ad:"
                + " software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service:"
                + " S3, Status Code: 403, Request ID: 1A2B, Extended Request ID:"
                + " xyz):AccessDenied");
    assertThat(FileSystemHints.explain("s3a://atlases/a.h5ad", get))
        .startsWith("access to s3a://atlases was refused (403 Access Denied); the credentials S3A");

    IOException hdfs =
        new IOException(
            "write failed",
            new AccessControlException(
                "Permission denied: user=alice, access=WRITE, inode=\"/results\":hdfs:supergroup"));
    assertThat(FileSystemHints.explain("hdfs://namenode:8020/results/tokens", hdfs))
        .isEqualTo(
            "access to hdfs://namenode:8020 was refused (Permission denied: user=alice,"
                + " access=WRITE, inode=\"/results\":hdfs:supergroup); check the path's HDFS"
                + " permissions for the user the job runs as");
  }

  /** Paths are Hadoop path strings: '%', '#' and spaces are not URI escapes. */
  @Test
  void pathsThatAreNoUrisAreExplainedToo() {
    IOException refused =
        new IOException("call failed", new ConnectException("Connection refused"));
    assertThat(FileSystemHints.explain("hdfs://127.0.0.1:1/runs (50%)/#1 tokens", refused))
        .startsWith("the file system at hdfs://127.0.0.1:1 cannot be reached (ConnectException");
    assertThat(FileSystemHints.explain("/data/runs (50%)/t", new IOException("disk full")))
        .isEqualTo("disk full");
  }

  /**
   * A scheme whose file system class the configuration names but the classpath lacks (Hadoop 3.5,
   * the Spark 4.2 build's, names one for gs:// by default) is a missing connector, told as one.
   */
  @Test
  void aFileSystemClassMissingFromTheClasspathIsAMissingConnector() {
    Configuration conf = new Configuration(false);
    conf.set("fs.gs.impl", "org.apache.hadoop.fs.gs.GoogleHadoopFileSystem");
    conf.setBoolean("fs.gs.impl.disable.cache", true);
    Path path = new Path("gs://atlases/heart.h5ad");
    Throwable e = catchThrowable(() -> FileSystems.of(path, conf));
    assertThat(e).isInstanceOf(UnsupportedFileSystemException.class);
    assertThat(FileSystemHints.explain(path.toString(), (IOException) e))
        .isEqualTo(
            "no Hadoop file system for gs:// on the classpath; add the Cloud Storage connector"
                + " (gcs-connector, shaded, for Hadoop 3); Dataproc clusters have it");
  }
}
