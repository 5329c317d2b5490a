package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.hdf5.HdfOpener;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.spark.FaultInjection;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.HdfsCluster;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs and outputs on hdfs://, against a real HDFS (Hadoop's NameNode and a DataNode, started by
 * the test): every atlas format tokenized from it (HDF5 both ways, ranged reads and local copies)
 * and written back, equal to the local run; the Airflow DAGs' pipeline run twice over a workdir on
 * HDFS, where replacing an output is a rename onto HDFS's namespace; and the other jobs (medians,
 * classify and its saved model, plot, finetune stopped and resumed) with everything on HDFS.
 */
@ExtendWith(SharedSpark.class)
class HdfsTest {
  private static final Path FIXTURES =
      Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures");

  @TempDir static Path work;
  private static HdfsCluster hdfs;

  @BeforeAll
  static void start() throws IOException {
    hdfs = HdfsCluster.start(work);
  }

  @AfterAll
  static void stop(SparkSession spark) {
    spark.conf().unset(CellsparkSettings.HDF5_REMOTE.name());
    if (hdfs != null) {
      hdfs.close();
    }
  }

  private static TokenizeResult tokenize(SparkSession spark, String input, String output) {
    return TokenizeJob.run(spark, TokenTables.v1(input).output(output).build());
  }

  @Test
  void everyFormatFromAndToHdfs(SparkSession spark) throws IOException {
    TokenizeResult local =
        tokenize(
            spark,
            Fixtures.atlas("classify_atlas.h5ad").toString(),
            work.resolve("local").toString());
    String h5ad = hdfs.upload(Fixtures.atlas("classify_atlas.h5ad"), "/in/classify_atlas.h5ad");
    assertThat(
            hdfs.fileSystem()
                .getFileBlockLocations(new org.apache.hadoop.fs.Path(h5ad), 0, 1L << 40))
        .as("the atlas spans several HDFS blocks")
        .hasSizeGreaterThan(1);
    List<String> inputs =
        List.of(
            h5ad,
            hdfs.upload(FIXTURES.resolve("loom/classify_atlas.loom"), "/in/classify_atlas.loom"),
            hdfs.upload(FIXTURES.resolve("tenx/classify_10x.h5"), "/in/classify_10x.h5"),
            hdfs.upload(FIXTURES.resolve("mtx/classify_10x"), "/in/mtx"));
    int n = 0;
    for (String strategy : List.of("range", "copy")) {
      spark.conf().set(CellsparkSettings.HDF5_REMOTE.name(), strategy);
      HdfOpener.dropLocalCopies();
      // A local copy is the same for every HDF5 format: the h5ad stands for them.
      for (String input : strategy.equals("range") ? inputs : List.of(h5ad)) {
        String output = hdfs.uri("/out/tokens-" + n++);
        long before = HdfOpener.REMOTE_REQUESTS.get();
        TokenizeResult remote = tokenize(spark, input, output);
        assertThat(remote.output()).as(input).isEqualTo(output);
        if (!input.endsWith("/mtx")) {
          assertThat(HdfOpener.REMOTE_REQUESTS.get() - before)
              .as("HDFS reads of " + input)
              .isPositive();
        }
        TokenTables.assertSameTokensAndCounts(spark, local.output(), remote.output());
      }
    }
    spark.conf().unset(CellsparkSettings.HDF5_REMOTE.name());
    // Paths without a scheme are on the default file system, as on EMR and Dataproc, whose
    // fs.defaultFS is the cluster's HDFS.
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    String defaultFs = conf.get("fs.defaultFS");
    conf.set("fs.defaultFS", hdfs.uri("/"));
    try {
      TokenizeResult plain = tokenize(spark, "/in/classify_atlas.h5ad", "/out/tokens-" + n++);
      assertThat(plain.output()).isEqualTo(hdfs.uri("/out/tokens-" + (n - 1)));
      TokenTables.assertSameTokensAndCounts(spark, local.output(), plain.output());
    } finally {
      conf.set("fs.defaultFS", defaultFs);
    }
    // Nothing but finished outputs is left: no staging folders.
    FileStatus[] out =
        hdfs.fileSystem().listStatus(new org.apache.hadoop.fs.Path(hdfs.uri("/out")));
    assertThat(Arrays.stream(out).map(s -> s.getPath().getName()))
        .allMatch(name -> name.startsWith("tokens-"))
        .hasSize(n);
  }

  @Test
  void upstreamTokenDatasetFromHdfs(SparkSession spark) throws IOException {
    String remote = hdfs.upload(Fixtures.huggingFace("v2_tokens.dataset"), "/in/v2_tokens.dataset");
    String[] columns = {"cell_id", "cell_barcode", "input_ids", "cell_type"};
    List<Row> local =
        TokenTables.rowsByCellId(
            spark, Fixtures.huggingFace("v2_tokens.dataset").toString(), columns);
    assertThat(local).hasSize(37);
    assertThat(TokenTables.rowsByCellId(spark, remote, columns)).isEqualTo(local);
    // Split between record batches: the header scan's positioned reads on HDFS.
    SparkJobs.withSessionConf(
        spark,
        "spark.sql.files.maxPartitionBytes",
        "3000",
        () -> assertThat(TokenTables.rowsByCellId(spark, remote, columns)).isEqualTo(local));
  }

  @Test
  void theAirflowPipelineRunsTwiceOverAWorkdirOnHdfs(SparkSession spark) throws Exception {
    AirflowJobs dag =
        AirflowJobs.read(Fixtures.repositoryRoot().resolve("conf/airflow/cellspark_jobs.py"));
    Path demo =
        Fixtures.repositoryRoot().resolve("spark-jobs/src/main/resources/org/cellspark/demo");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("atlas", hdfs.upload(demo.resolve("sample_atlas.h5ad"), "/atlases/sample.h5ad"));
    params.put("workdir", hdfs.uri("/runs/1"));
    params.put("model", demo.resolve("model").toString());
    params.put("genes", "LYZ,CD14");
    params.put("start_state", "monocyte");
    params.put("goal_state", "T cell");
    FileSystem fs = hdfs.fileSystem();

    List<Map<String, String>> passes = new ArrayList<>();
    for (int pass = 1; pass <= 2; pass++) {
      for (String job : dag.pipeline()) {
        CliRun run = CliRun.of(dag.args(job, params).toArray(new String[0]));
        assertThat(run.exitCode()).as("pass %d, %s: %s", pass, job, run.err()).isZero();
      }
      Map<String, String> summaries = new LinkedHashMap<>();
      for (String output : List.of("tokens", "embeddings", "screen", "stats")) {
        org.apache.hadoop.fs.Path summary =
            new org.apache.hadoop.fs.Path(hdfs.uri("/runs/1/" + output + "/_cellspark.json"));
        try (var in = fs.open(summary)) {
          summaries.put(
              output, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
      passes.add(summaries);
    }
    // Replaced outputs were replaced, not nested inside the old ones (HDFS renames a folder into an
    // existing folder), and the screen was kept byte for byte.
    assertThat(passes.get(1).get("tokens")).isNotEqualTo(passes.get(0).get("tokens"));
    assertThat(passes.get(1).get("screen")).isEqualTo(passes.get(0).get("screen"));
    for (String output : List.of("tokens", "embeddings", "stats")) {
      FileStatus[] inside =
          fs.listStatus(new org.apache.hadoop.fs.Path(hdfs.uri("/runs/1/" + output)));
      assertThat(Arrays.stream(inside).map(s -> s.getPath().getName()))
          .as(output)
          .noneMatch(name -> name.startsWith(".") || name.equals(output));
    }
    assertThat(spark.read().parquet(hdfs.uri("/runs/1/tokens")).count()).isEqualTo(1969);
    assertThat(spark.read().parquet(hdfs.uri("/runs/1/screen/cell_shifts")).count()).isPositive();
  }

  @Test
  void mediansClassifyPlotAndFinetuneWriteToHdfs(SparkSession spark) throws IOException {
    FileSystem fs = hdfs.fileSystem();
    String atlas = hdfs.upload(Fixtures.atlas("classify_atlas.h5ad"), "/jobs/atlas.h5ad");
    String model = FIXTURES.resolve("models/v1-tiny").toString();
    String tokens = hdfs.uri("/jobs/tokens");
    String embeddings = hdfs.uri("/jobs/embeddings");
    run("medians", "--input", atlas, "--output", hdfs.uri("/jobs/vocab"));
    assertThat(
            fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/vocab/token_dictionary.pkl"))))
        .isTrue();
    run(
        "tokenize",
        "--input",
        atlas,
        "--vocabulary",
        "builtin:geneformer-v1",
        "--attribute",
        "cell_type",
        "--attribute",
        "donor",
        "--min-gene-match",
        "0.1",
        "--output",
        tokens);
    run("embed", "--input", tokens, "--model", model, "--output", embeddings);
    run(
        "classify",
        "--embeddings",
        embeddings + "/cells",
        "--label",
        "cell_type",
        "--group",
        "donor",
        "--output",
        hdfs.uri("/jobs/classifier"));
    run(
        "classify",
        "apply",
        "--model",
        hdfs.uri("/jobs/classifier"),
        "--embeddings",
        embeddings + "/cells",
        "--output",
        hdfs.uri("/jobs/labels"));
    assertThat(spark.read().parquet(hdfs.uri("/jobs/labels/predictions")).count()).isEqualTo(600);
    run(
        "plot",
        "--input",
        embeddings,
        "--labels",
        "cell_type",
        "--style",
        "umap,heatmap",
        "--output",
        hdfs.uri("/jobs/plots"));
    for (String name : List.of("umap_cell_type.png", "heatmap_cell_type.png", "umap.csv")) {
      assertThat(fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/plots/" + name))))
          .as(name)
          .isTrue();
    }

    // A fine-tuning run stopped after its first epoch resumes from its checkpoint on HDFS.
    String[] finetune = {
      "finetune",
      "--input",
      tokens,
      "--label",
      "cell_type",
      "--group",
      "donor",
      "--model",
      model,
      "--vocabulary",
      "builtin:geneformer-v1",
      "--epochs",
      "2",
      "--max-cells",
      "200", // what is tested is where the states go, not what they learn
      "--output",
      hdfs.uri("/jobs/ft")
    };
    spark.conf().set(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS, "1");
    try {
      assertThat(CliRun.of(finetune).exitCode()).isNotZero();
    } finally {
      spark.conf().unset(FaultInjection.STOP_FINETUNE_AFTER_EPOCHS);
    }
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/.ft.cellspark-work"))))
        .isTrue();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/ft")))).isFalse();
    run(finetune);
    try (var in = fs.open(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/ft/_cellspark.json")))) {
      assertThat(
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .readTree(in)
                  .at("/training/resumed_after_epoch")
                  .asInt())
          .isEqualTo(1);
    }
    assertThat(
            fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/ft/model/model.safetensors"))))
        .isTrue();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(hdfs.uri("/jobs/.ft.cellspark-work"))))
        .isFalse();
  }

  private static CliRun run(String... args) {
    CliRun run = CliRun.of(args);
    assertThat(run.exitCode()).as("%s: %s", args[0], run.err()).isZero();
    return run;
  }
}
