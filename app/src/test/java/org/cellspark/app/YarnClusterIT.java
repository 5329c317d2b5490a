package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar on a real YARN (YarnCluster: Hadoop's ResourceManager and NodeManager,
 * containers started as processes from launch scripts), submitted as EMR steps and Dataproc jobs
 * submit it: {@code spark-submit --master yarn --deploy-mode cluster}, so the driver runs inside
 * YARN's ApplicationMaster, which judges the application by how {@code Main.main} ends, and the
 * model travels as an archive that YARN, not Spark's file server, unpacks into every container.
 * What ClusterDriverTest shows with a stand-in for the ApplicationMaster, here with the real one.
 */
class YarnClusterIT {
  @TempDir static Path tmp;
  private static YarnCluster yarn;

  private static final String MTX =
      Fixtures.repositoryRoot()
          .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x")
          .toString();

  @BeforeAll
  static void startYarn() throws Exception {
    yarn = YarnCluster.start(tmp);
  }

  @AfterAll
  static void stopYarn() throws Exception {
    if (yarn != null) {
      yarn.close();
    }
  }

  /**
   * Embed with the model shipped as {@code --archives ZIP#tinymodel} and named by its alias, an
   * application in cluster deploy mode: spark-submit exits 0, YARN records one attempt that
   * FINISHED with SUCCEEDED (an exit from main before it returned would be FAILED, and run again),
   * Cellspark's lines are in the driver's container log (not in spark-submit's output: the driver
   * ran in the cluster), an executor's container ran, and the embeddings equal the same job's in
   * this JVM. (The tokens are made in this JVM: tokenize on executors of their own is
   * SparkSubmitIT's; a tokenize on YARN is the test below.)
   */
  @Test
  void embedSucceedsInOneAttemptWithTheModelLocalisedByYarn() throws Exception {
    String tokens = tmp.resolve("tokens").toString();
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "in-process", Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
    try {
      TokenizeJob.run(
          spark,
          TokenizeOptions.builder()
              .input(MTX)
              .vocabulary("builtin:geneformer-v1")
              .minGeneMatch(0.1)
              .output(tokens)
              .build());
      EmbedJob.run(
          spark,
          EmbedOptions.of(
              tokens, LocalCluster.TINY_MODEL.toString(), tmp.resolve("emb-local").toString()));

      List<String> embedArgs = new ArrayList<>(recipe());
      embedArgs.addAll(List.of("--archives", LocalCluster.zippedModel(tmp) + "#tinymodel"));
      YarnCluster.Submitted embed =
          yarn.submit(
              embedArgs,
              "embed",
              "--input",
              tokens,
              "--model",
              "tinymodel",
              "--output",
              tmp.resolve("emb").toString());
      assertThat(embed.exitCode()).as("spark-submit's output:%n%s", embed.clientOutput()).isZero();
      ApplicationReport report = yarn.report(embed.application());
      assertThat(report.getYarnApplicationState()).isEqualTo(YarnApplicationState.FINISHED);
      assertThat(report.getFinalApplicationStatus()).isEqualTo(FinalApplicationStatus.SUCCEEDED);
      assertThat(yarn.attempts(embed.application())).hasSize(1);
      assertThat(embed.clientOutput()).doesNotContain("INFO EmbedJob");
      String logs = yarn.containerLogs(embed.application());
      assertThat(logs).contains("embed: 600 cells");
      // The driver's container and an executor's (their names end _000001 and _000002).
      assertThat(logs.lines().filter(l -> l.startsWith("== container_")).count())
          .isGreaterThanOrEqualTo(2);
      LocalCluster.assertSameCellEmbeddings(
          spark, tmp.resolve("emb"), tmp.resolve("emb-local"), 600);
    } finally {
      spark.stop();
    }
  }

  /**
   * Bad input in cluster deploy mode, with the recipes' settings: the application ends FAILED after
   * one attempt (YARN's default would run the refusal a second time), YARN's diagnostics (an EMR
   * step's failure reason) carry Cellspark's one-line message and no stack trace, spark-submit
   * exits non-zero, and no output is left. (In client mode the driver is spark-submit's own JVM,
   * which exits with the command's code: ClusterDriverTest.)
   */
  @Test
  void aRefusalFailsTheApplicationOnceWithItsMessage() throws Exception {
    String negative = Fixtures.bad("negative.h5ad").toString();
    String v2 = Fixtures.vocab("vocab-v2-small").toString();
    Path out = tmp.resolve("refused");
    YarnCluster.Submitted cluster =
        yarn.submit(
            recipe(),
            "tokenize",
            "--input",
            negative,
            "--vocabulary",
            v2,
            "--output",
            out.toString());
    assertThat(cluster.exitCode()).isNotZero();
    ApplicationReport report = yarn.report(cluster.application());
    assertThat(report.getFinalApplicationStatus()).isEqualTo(FinalApplicationStatus.FAILED);
    assertThat(yarn.attempts(cluster.application())).hasSize(1);
    String message =
        "error: Input "
            + negative
            + ", cell 'cell08' (row 8), gene ENSG00000000006 (column 1): the count -2.0 is"
            + " negative.";
    assertThat(report.getDiagnostics()).contains(message).doesNotContain("\tat ");
    assertThat(out).doesNotExist();
  }

  /**
   * The setting the EMR and Dataproc recipes give every job about YARN's attempts, read from the
   * EMR recipe (conf/emr/spark-defaults.conf; its other settings size a real cluster's nodes).
   */
  private static List<String> recipe() throws Exception {
    String key = "spark.yarn.maxAppAttempts";
    for (String line :
        Files.readAllLines(Fixtures.repositoryRoot().resolve("conf/emr/spark-defaults.conf"))) {
      String[] kv = line.trim().split("\\s+", 2);
      if (kv[0].equals(key)) {
        return List.of("--conf", key + "=" + kv[1]);
      }
    }
    throw new AssertionError("conf/emr/spark-defaults.conf sets no " + key);
  }
}
