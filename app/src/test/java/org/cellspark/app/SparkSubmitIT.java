package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.HdfsCluster;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs through spark-submit on a local cluster (LocalCluster: executors in JVMs of their own, the
 * model shipped with --archives and named by its alias) give what the same jobs give in this JVM:
 * classpath problems (what the app jar lacks), path problems (files shipped to executors are found
 * relative to their working folders) and serialization problems (what crosses between JVMs) appear
 * only there. FaultToleranceIT runs tokenize, embed and perturb on such a cluster with the default
 * (Java) serializer; here tokenize and embed run under Kryo, and the trainings in executors.
 */
class SparkSubmitIT {
  @TempDir Path tmp;

  /**
   * A notebook's session on a cluster that serializes with Kryo: the session is not Cellspark's, so
   * it carries the registrator such users are told to add (docs/errors.md; sessions Cellspark makes
   * add it themselves).
   */
  private static final List<String> KRYO_NOTEBOOK =
      List.of(
          "--conf",
          "spark.serializer=org.apache.spark.serializer.KryoSerializer",
          "--conf",
          "spark.kryo.registrator=org.cellspark.spark.CellsparkKryo");

  /**
   * A cluster that serializes with Kryo (a common spark-defaults setting) runs the jobs whose
   * broadcasts and shuffles carry Cellspark's own objects: a Matrix Market tokenize (the folder
   * broadcast, cells shuffled into barcode ranges, a tokenize plan broadcast) and an embed with
   * gene embeddings (per-token sums shuffled). Spark's Kryo cannot build records field by field, so
   * before CellsparkKryo each failed with "can't get field offset on a record class". They run as a
   * notebook on such a cluster runs them: in its session (NotebookSession), which Cellspark did not
   * make, with the registrator the error catalogue tells such users to add. Their outputs (tokens,
   * cell embeddings, gene embeddings) equal the same jobs' in this JVM with Java serialization. The
   * cluster's model is the pytorch_model.bin of the one this JVM reads as model.safetensors.
   */
  @Test
  void jobsRunOnAClusterThatSerializesWithKryo() throws Exception {
    LocalCluster.deleteWorkDir(); // so that every executor log found below is this test's
    LocalCluster cluster = new LocalCluster(tmp);
    String mtx =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x")
            .toString();
    // An AnnData zarr store (blosc chunks): decompressed on the executors by the c-blosc library
    // the app jar bundles.
    String zarr =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/zarr/atlas.zarr")
            .toString();
    String v2 = Fixtures.vocab("vocab-v2-small").toString();
    // The model shipped as pytorch_model.bin: read on the executors by the app jar's relocated
    // Commons Compress, and compared below with the safetensors model's embeddings in this JVM.
    List<String> submitArgs = new java.util.ArrayList<>(KRYO_NOTEBOOK);
    submitArgs.addAll(
        List.of(
            "--archives",
            LocalCluster.zippedModel(tmp, LocalCluster.TINY_MODEL_BIN) + "#tinymodel"));
    // The safetensors model on a real HDFS, named through a viewfs mount table that exists only
    // in the application's settings: executors can reach it only with the application's Hadoop
    // configuration (as on a cluster whose buckets need an endpoint or credentials).
    String log;
    try (HdfsCluster hdfs = HdfsCluster.start(tmp)) {
      hdfs.upload(LocalCluster.TINY_MODEL, "/models/tiny");
      submitArgs.addAll(
          List.of(
              "--conf",
              "spark.hadoop.fs.viewfs.mounttable.cellspark.link./tiny="
                  + hdfs.uri("/models/tiny")));
      log =
          cluster.submitInOneSession(
              submitArgs,
              List.of(
                  List.of(
                      "tokenize",
                      "--input",
                      mtx,
                      "--vocabulary",
                      "builtin:geneformer-v1",
                      "--min-gene-match",
                      "0.1",
                      "--output",
                      tmp.resolve("tokens").toString()),
                  List.of(
                      "embed",
                      "--input",
                      tmp.resolve("tokens").toString(),
                      "--model",
                      "tinymodel",
                      "--gene-embeddings",
                      "--output",
                      tmp.resolve("emb").toString()),
                  List.of(
                      "tokenize",
                      "--input",
                      zarr,
                      "--vocabulary",
                      v2,
                      "--output",
                      tmp.resolve("tokens-zarr").toString()),
                  List.of(
                      "embed",
                      "--input",
                      tmp.resolve("tokens").toString(),
                      "--model",
                      "viewfs://cellspark/tiny",
                      "--output",
                      tmp.resolve("emb-hdfs").toString())));
    }
    assertThat(log).contains("embedded 600 cells");
    // The executors were processes of their own: Spark's workers keep their logs under
    // SPARK_HOME/work (emptied above; comparing file times with the clock would depend on the file
    // system's time resolution).
    try (Stream<Path> logs = Files.walk(LocalCluster.SPARK_HOME.resolve("work"))) {
      assertThat(logs.filter(f -> f.getFileName().toString().equals("stderr")).count())
          .isGreaterThanOrEqualTo(2);
    }

    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "in-process", Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
    try {
      assertThat(spark.sparkContext().getConf().get("spark.serializer", "java"))
          .doesNotContain("Kryo");
      TokenizeJob.run(
          spark,
          TokenizeOptions.builder()
              .input(mtx)
              .vocabulary("builtin:geneformer-v1")
              .minGeneMatch(0.1)
              .output(tmp.resolve("tokens-local").toString())
              .build());
      EmbedJob.run(
          spark,
          EmbedOptions.of(
                  tmp.resolve("tokens-local").toString(),
                  LocalCluster.TINY_MODEL.toString(),
                  tmp.resolve("emb-local").toString())
              .withOutputs(false, EmbedOptions.Summary.NONE, null, true));
      TokenizeJob.run(
          spark,
          TokenizeOptions.builder()
              .input(zarr)
              .vocabulary(v2)
              .output(tmp.resolve("tokens-zarr-local").toString())
              .build());
      assertThat(LocalCluster.byCell(spark, tmp.resolve("tokens-zarr").toString(), "input_ids"))
          .hasSize(37)
          .isEqualTo(
              LocalCluster.byCell(spark, tmp.resolve("tokens-zarr-local").toString(), "input_ids"));
      Map<String, Object> tokens =
          LocalCluster.byCell(spark, tmp.resolve("tokens").toString(), "input_ids");
      assertThat(tokens)
          .hasSize(600)
          .isEqualTo(
              LocalCluster.byCell(spark, tmp.resolve("tokens-local").toString(), "input_ids"));
      LocalCluster.assertSameCellEmbeddings(
          spark, tmp.resolve("emb"), tmp.resolve("emb-local"), 600);
      LocalCluster.assertSameCellEmbeddings(
          spark, tmp.resolve("emb-hdfs"), tmp.resolve("emb-local"), 600);
      List<Row> genes =
          spark
              .read()
              .parquet(tmp.resolve("emb/gene_embeddings").toString())
              .orderBy("token")
              .collectAsList();
      List<Row> genesLocal =
          spark
              .read()
              .parquet(tmp.resolve("emb-local/gene_embeddings").toString())
              .orderBy("token")
              .collectAsList();
      assertThat(genes).hasSizeGreaterThan(100).hasSameSizeAs(genesLocal);
      for (int i = 0; i < genes.size(); i++) {
        assertThat(genes.get(i).<Integer>getAs("token"))
            .isEqualTo(genesLocal.get(i).<Integer>getAs("token"));
        assertThat(genes.get(i).<Long>getAs("n_cells"))
            .isEqualTo(genesLocal.get(i).<Long>getAs("n_cells"));
        assertThat(
                Vectors.maxAbsDiff(
                    genes.get(i).<Vector>getAs("embedding").toArray(),
                    genesLocal.get(i).<Vector>getAs("embedding").toArray()))
            .isLessThanOrEqualTo(1e-5);
      }
    } finally {
      spark.stop();
      LocalCluster.deleteWorkDir();
    }
  }

  /**
   * Under spark-submit the driver logs with Spark's log configuration (or the cluster's), not
   * Cellspark's. A refusal found on the driver once Spark has started (too few of the atlas's genes
   * in the vocabulary) still shows its one {@code error:} line and no trace of Cellspark's: Main
   * used to log the failure with its trace just above the line, so that a refusal read as a crash.
   * And jHDF, bundled in the app jar, knows its version there (it warned "Using development version
   * of jHDF" on every driver and executor that read an HDF5 file).
   */
  @Test
  void aRefusalUnderSparkSubmitShowsItsLineAndNoTrace() throws Exception {
    Path tokens = tmp.resolve("tokens");
    String out =
        new LocalCluster(tmp)
            .submitRefused(
                List.of(),
                "tokenize",
                "--input",
                Fixtures.atlas("classify_atlas.h5ad").toString(),
                "--vocabulary",
                "builtin:geneformer-v1",
                "--output",
                tokens.toString());
    assertThat(out).contains("Running Spark version"); // Spark's log: Spark had started
    assertThat(out.lines().filter(l -> l.startsWith("error: ")).toList())
        .as(out)
        .singleElement()
        .asString()
        .contains("classify_atlas.h5ad")
        .contains("below --min-gene-match 50%");
    assertThat(out)
        .doesNotContain("UserException")
        .doesNotContainPattern("\\n\\s+at org\\.cellspark\\.")
        .doesNotContain("development version of jHDF");
    assertThat(tokens).doesNotExist();
  }

  /**
   * The trainings through spark-submit on a local cluster of two executors, in one notebook session
   * under Kryo: their training tasks run in executor JVMs, with the model shipped with --archives
   * and found there by its alias, and write their models into the job's output from there.
   *
   * <ul>
   *   <li>finetune: a cross-validation with a settings search trains its four trainings (two folds
   *       x two trials) spread over both executors, each fold keeping its best trial;
   *   <li>pretrain and finetune-multitask train in an executor the same way (their plans and
   *       outcomes are records between JVMs), and classify apply --tokens labels the cells with the
   *       multi-task model on the executors and scores a task against the cells' labels there (a
   *       fold's model under classify apply: FinetuneFoldsTest);
   *   <li>finetune-genes trains its two folds at once, one in each executor, and the driver gathers
   *       them. The gene classes are the 40 genes the tokens rank highest most often, dealt into
   *       two made-up classes (the test is about where folds train, not what they learn).
   * </ul>
   *
   * Then a fold's gene classifier, shipped as an archive under an alias of its own, classifies the
   * cells' genes on the executors (classify apply), in an application Cellspark's command starts.
   */
  @Test
  void trainingsRunInExecutorsOfTheirOwn() throws Exception {
    LocalCluster cluster = new LocalCluster(tmp);
    // The tokens in this JVM: the test is about training in an executor (the test above runs
    // tokenize on the cluster).
    Path tokens = tmp.resolve("tokens");
    assertThat(
            org.cellspark.cli.Main.execute(
                "tokenize",
                "--input",
                Fixtures.atlas("classify_atlas.h5ad").toString(),
                "--vocabulary",
                "builtin:geneformer-v1",
                "--min-gene-match",
                "0.1",
                "--attribute",
                "cell_type",
                "--attribute",
                "donor",
                "--output",
                tokens.toString()))
        .isZero();
    Path classes = tmp.resolve("classes.json");
    Files.writeString(classes, frequentGenesInTwoClasses(tokens));
    List<String> submitArgs = new java.util.ArrayList<>(KRYO_NOTEBOOK);
    submitArgs.addAll(
        List.of(
            "--archives",
            LocalCluster.zippedModel(tmp) + "#tinymodel",
            // Start each fold or trial at once on a free executor rather than wait for the one
            // holding the shuffled cells.
            "--conf",
            "spark.locality.wait=0"));
    String log =
        cluster.submitInOneSession(
            submitArgs,
            List.of(
                List.of(
                    "finetune",
                    "--input",
                    tokens.toString(),
                    "--label",
                    "cell_type",
                    "--group",
                    "donor",
                    "--model",
                    "tinymodel",
                    "--epochs",
                    "1",
                    "--folds",
                    "2",
                    "--search",
                    "learning-rate=5e-5,1e-3",
                    "--output",
                    tmp.resolve("search").toString()),
                List.of(
                    "pretrain",
                    "--input",
                    tokens.toString(),
                    "--model",
                    "tinymodel",
                    "--epochs",
                    "1",
                    "--max-cells",
                    "150",
                    "--validation-cells",
                    "30",
                    "--data-parallel",
                    "2",
                    "--output",
                    tmp.resolve("pt").toString()),
                List.of(
                    "finetune-multitask",
                    "--input",
                    tokens.toString(),
                    "--tasks",
                    "cell_type,donor",
                    "--model",
                    "tinymodel",
                    "--epochs",
                    "1",
                    "--warmup-steps",
                    "5",
                    "--output",
                    tmp.resolve("mt").toString()),
                List.of(
                    "classify",
                    "apply",
                    "--model",
                    tmp.resolve("mt").toString(),
                    "--tokens",
                    tokens.toString(),
                    "--label",
                    "cell_type",
                    "--output",
                    tmp.resolve("mt-labels").toString()),
                List.of(
                    "finetune-genes",
                    "--input",
                    tokens.toString(),
                    "--gene-classes",
                    classes.toString(),
                    "--model",
                    "tinymodel",
                    "--folds",
                    "2",
                    "--max-cells",
                    "100",
                    "--warmup-steps",
                    "2",
                    "--output",
                    tmp.resolve("genes").toString())));

    // finetune: four trainings over both executors, each fold keeping its best trial.
    assertThat(log)
        .contains("cross-validated cell_type (4 classes), 2 folds: test macro-F1")
        .contains("each fold's trials and the one it kept in trials.csv");
    JsonNode trials =
        new ObjectMapper()
            .readTree(tmp.resolve("search/_cellspark.json").toFile())
            .path("search")
            .path("trials");
    Set<String> executors = new java.util.HashSet<>();
    trials.forEach(t -> executors.add(t.path("trained_on").asText().split(",")[0]));
    assertThat(executors)
        .as("the trainings spread over both executors")
        .containsExactlyInAnyOrder("executor 0", "executor 1");
    assertThat(Files.readAllLines(tmp.resolve("search/trials.csv"))).hasSize(5);
    assertThat(tmp.resolve("search/models/fold-1/model.safetensors")).exists();
    assertThat(tmp.resolve("search/models/fold-2/model.safetensors")).exists();
    assertThat(
            new ObjectMapper()
                .readTree(tmp.resolve("search/metrics.json").toFile())
                .path("metrics")
                .path("folds")
                .size())
        .isEqualTo(2);

    // pretrain, finetune-multitask and classify apply with the multi-task model.
    assertThat(log).contains("pretrained on 150 cells, 1 epoch(s)");
    assertThat(tmp.resolve("pt/model/model.safetensors")).exists();
    Set<String> workers = new java.util.HashSet<>();
    new ObjectMapper()
        .readTree(tmp.resolve("pt/_cellspark.json").toFile())
        .path("training")
        .path("trained_on")
        .forEach(w -> workers.add(w.asText().split(",")[0]));
    assertThat(workers)
        .as("pretrain --data-parallel 2: one worker in each executor, joined by a ring")
        .containsExactlyInAnyOrder("executor 0", "executor 1");
    assertThat(tmp.resolve(".pt.cellspark-work")).doesNotExist();
    assertThat(log).contains("fine-tuned 2 tasks, 1 epoch(s)").contains("cell_type (4 classes)");
    assertThat(tmp.resolve("mt/model/model.safetensors")).exists();
    assertThat(log).contains("labelled 600 cells").contains("cell_type: 600 of 600 cells scored");
    assertThat(tmp.resolve("mt-labels/confusion_matrix_cell_type.png")).exists();

    // finetune-genes: each fold in an executor of its own.
    assertThat(log).contains("gene classifier, 2 classes, 2 fold(s)");
    JsonNode folds =
        new ObjectMapper()
            .readTree(tmp.resolve("genes/metrics.json").toFile())
            .path("metrics")
            .path("folds");
    assertThat(folds).hasSize(2);
    assertThat(
            Set.of(
                folds.get(0).path("trained_on").asText().split(",")[0],
                folds.get(1).path("trained_on").asText().split(",")[0]))
        .as("each fold in an executor of its own")
        .containsExactlyInAnyOrder("executor 0", "executor 1");
    for (int fold = 1; fold <= 2; fold++) {
      assertThat(tmp.resolve("genes/models/fold-" + fold + "/model.safetensors")).exists();
    }
    assertThat(Files.readAllLines(tmp.resolve("genes/genes.csv"))).hasSize(41);

    // Fold 1's model as a saved gene classifier (classify apply), shipped as an archive that every
    // executor finds under its alias, under Kryo in a session Cellspark starts (it adds the
    // registrator itself): every gene of the cells classified on the executors, the 40 genes of
    // the classes scored.
    String applied =
        cluster.submit(
            List.of(
                "--archives",
                LocalCluster.zippedModel(tmp, tmp.resolve("genes/models/fold-1")) + "#genemodel",
                "--conf",
                "spark.serializer=org.apache.spark.serializer.KryoSerializer"),
            "classify",
            "apply",
            "--model",
            "genemodel",
            "--tokens",
            tokens.toString(),
            "--gene-classes",
            classes.toString(),
            "--output",
            tmp.resolve("gene-apply").toString());
    assertThat(applied).contains("occurrences scored").contains("of 40 genes right");
    assertThat(Files.readAllLines(tmp.resolve("gene-apply/predictions.csv")).size())
        .isGreaterThan(41);
    LocalCluster.deleteWorkDir();
  }

  /** {"a": [...], "b": [...]}: the 40 genes most often among a cell's first 20, alternately. */
  private static String frequentGenesInTwoClasses(Path tokens) {
    SparkSession spark =
        SparkSession.builder().master("local[1]").appName("frequent genes").getOrCreate();
    try {
      List<Row> top =
          spark
              .read()
              .parquet(tokens.toString())
              .selectExpr("explode(slice(input_ids, 1, 20)) AS token")
              .groupBy("token")
              .count()
              .orderBy(
                  org.apache.spark.sql.functions.desc("count"),
                  org.apache.spark.sql.functions.col("token"))
              .limit(40)
              .collectAsList();
      Map<Integer, String> geneOf = new java.util.HashMap<>();
      org.cellspark.vocab.VocabularyLoader.load("builtin:geneformer-v1")
          .tokenIds()
          .forEach((gene, token) -> geneOf.put(token, gene));
      List<String> a = new java.util.ArrayList<>();
      List<String> b = new java.util.ArrayList<>();
      for (int i = 0; i < top.size(); i++) {
        (i % 2 == 0 ? a : b).add("\"" + geneOf.get(top.get(i).getInt(0)) + "\"");
      }
      return "{\"a\": [" + String.join(", ", a) + "], \"b\": [" + String.join(", ", b) + "]}";
    } finally {
      spark.stop();
    }
  }
}
