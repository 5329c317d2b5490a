package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.S3Server;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command run on a session that was already running (a notebook's, this suite's) leaves its
 * settings as they were, whether the command succeeds or fails: the next job on the session must
 * not inherit one command's {@code --conf}.
 */
@ExtendWith(SharedSpark.class)
class SparkArgsTest {
  @Test
  void settingsOfACommandAreTakenBackFromASharedSession(SparkSession spark) {
    String before = spark.conf().get("spark.sql.shuffle.partitions");
    String hadoopBefore =
        spark.sparkContext().hadoopConfiguration().getRaw("ipc.client.connect.max.retries");
    assertThat(spark.conf().getOption("spark.hadoop.ipc.client.connect.max.retries").isDefined())
        .isFalse();
    CliRun run =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.bad("negative.h5ad").toString(),
            "--vocabulary",
            Fixtures.vocab("vocab-v2-small").toString(),
            "--output",
            "/nonexistent/never-written",
            "--conf",
            "spark.sql.shuffle.partitions=7",
            "--conf",
            "spark.hadoop.ipc.client.connect.max.retries=0");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo(before);
    assertThat(spark.conf().getOption("spark.hadoop.ipc.client.connect.max.retries").isDefined())
        .isFalse();
    assertThat(spark.sparkContext().hadoopConfiguration().getRaw("ipc.client.connect.max.retries"))
        .isEqualTo(hadoopBefore);
  }

  /**
   * {@code --conf spark.hadoop.KEY=VALUE} reaches the files a command reads and writes when the
   * session was already running (it made its Hadoop configuration when it started, from the
   * settings it had then): an atlas in a bucket, with the store's endpoint and credentials given
   * only on the command line, is read as the same file on disk is; afterwards the session's Hadoop
   * configuration is as it was.
   */
  @Test
  void hadoopSettingsReachTheCommandsFilesAndAreTakenBack(SparkSession spark, @TempDir Path tmp)
      throws Exception {
    Path atlas = Fixtures.atlas("csr_float32_gzip.h5ad");
    String vocabulary = Fixtures.vocab("vocab-v2-small").toString();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try (S3Server s3 = S3Server.start(tmp, "atlases")) {
      Configuration upload = new Configuration();
      s3.configure(upload);
      org.apache.hadoop.fs.Path key = new org.apache.hadoop.fs.Path("s3a://atlases/a.h5ad");
      try (FileSystem fs = key.getFileSystem(upload)) {
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(atlas.toUri()), key);
      }
      Map<String, String> before = new HashMap<>();
      List<String> args =
          new ArrayList<>(
              List.of(
                  "tokenize",
                  "--input",
                  "s3a://atlases/a.h5ad",
                  "--vocabulary",
                  vocabulary,
                  "--output",
                  tmp.resolve("from-s3").toString()));
      s3.s3aSettings()
          .forEach(
              (k, v) -> {
                before.put(k, hadoop.getRaw(k));
                args.addAll(List.of("--conf", "spark.hadoop." + k + "=" + v));
              });
      assertThat(before.get("fs.s3a.endpoint"))
          .isNotEqualTo(s3.s3aSettings().get("fs.s3a.endpoint"));

      CliRun fromS3 = CliRun.of(args.toArray(String[]::new));
      assertThat(fromS3.exitCode()).as(fromS3.err()).isZero();
      s3.s3aSettings()
          .keySet()
          .forEach(k -> assertThat(hadoop.getRaw(k)).as(k).isEqualTo(before.get(k)));
    }
    CliRun fromDisk =
        CliRun.of(
            "tokenize",
            "--input",
            atlas.toString(),
            "--vocabulary",
            vocabulary,
            "--output",
            tmp.resolve("from-disk").toString());
    assertThat(fromDisk.exitCode()).as(fromDisk.err()).isZero();
    assertThat(
            spark
                .read()
                .parquet(tmp.resolve("from-s3").toString())
                .select("input_ids")
                .collectAsList())
        .isNotEmpty()
        .isEqualTo(
            spark
                .read()
                .parquet(tmp.resolve("from-disk").toString())
                .select("input_ids")
                .collectAsList());
  }
}
