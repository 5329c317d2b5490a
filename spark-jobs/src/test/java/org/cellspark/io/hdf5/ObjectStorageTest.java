package org.cellspark.io.hdf5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.check.ModelVocabularyCheck;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.S3Server;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs and outputs on s3a://, end to end against a real S3-compatible server (s3proxy in its own
 * JVM): the fixtures are uploaded through S3A, tokenized from the bucket in every HDF5 format (both
 * ways of reading remote HDF5: ranged reads and local copies) and from Matrix Market, written back
 * to the bucket, and embedded from there; every result equals the local run's.
 */
@ExtendWith(SharedSpark.class)
class ObjectStorageTest {
  private static final String BUCKET = "atlases";
  private static final String[] DATASET_COLUMNS = {
    "cell_id", "cell_barcode", "input_ids", "cell_type"
  };
  private static final Path FIXTURES =
      Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures");

  @TempDir static Path work;
  private static S3Server s3;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(work, BUCKET);
  }

  @AfterAll
  static void stop(SparkSession spark) {
    if (s3 == null) {
      return;
    }
    s3.close();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    s3.s3aSettings().keySet().forEach(conf::unset);
    spark.conf().unset(CellsparkSettings.HDF5_REMOTE.name());
  }

  private static String upload(SparkSession spark, Path local, String key) throws IOException {
    s3.configure(spark.sparkContext().hadoopConfiguration());
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + key);
    FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
    fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), target);
    return target.toString();
  }

  private static TokenizeResult tokenize(SparkSession spark, String input, String output) {
    return TokenizeJob.run(
        spark, TokenTables.v1(input).attribute("cell_type").output(output).build());
  }

  /**
   * An object served without an ETag (some S3-compatible stores omit it; s3proxy does for a file
   * put into its folder, not uploaded) is refused with the settings that read it, on each Hadoop
   * (3.5's S3A needs its classic input stream too), and with those settings it is read.
   */
  @Test
  void anObjectWithoutAnEtagIsReadWithTheSettingsItsRefusalGives(SparkSession spark)
      throws IOException {
    Path atlas = Fixtures.atlas("classify_atlas.h5ad");
    Files.copy(
        atlas,
        s3.bucketFolder(BUCKET).resolve("no-etag.h5ad"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String input = "s3a://" + BUCKET + "/no-etag.h5ad";
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    s3.configure(conf);
    Throwable refused =
        catchThrowable(() -> tokenize(spark, input, work.resolve("no-etag-refused").toString()));
    assertThat(UserException.findIn(refused)).as("%s", refused).isNotNull();
    Matcher advice =
        Pattern.compile("--conf spark\\.hadoop\\.([\\w.]+)=(\\w+)")
            .matcher(UserException.findIn(refused).getMessage());
    Map<String, String> advised = new LinkedHashMap<>();
    while (advice.find()) {
      advised.put(advice.group(1), advice.group(2));
    }
    assertThat(advised).containsEntry("fs.s3a.change.detection.version.required", "false");
    advised.forEach(conf::set);
    try {
      TokenizeResult read = tokenize(spark, input, work.resolve("no-etag").toString());
      TokenizeResult local =
          tokenize(spark, atlas.toString(), work.resolve("no-etag-local").toString());
      TokenTables.assertSameTokensAndCounts(spark, local.output(), read.output());
    } finally {
      advised.keySet().forEach(conf::unset);
    }
  }

  @Test
  void tokenizeAndEmbedFromAndToTheBucket(SparkSession spark) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TokenizeResult local =
        tokenize(
            spark,
            Fixtures.atlas("classify_atlas.h5ad").toString(),
            work.resolve("local").toString());
    String h5ad = upload(spark, Fixtures.atlas("classify_atlas.h5ad"), "in/classify_atlas.h5ad");
    String loom =
        upload(spark, FIXTURES.resolve("loom/classify_atlas.loom"), "in/classify_atlas.loom");

    for (String strategy : List.of("range", "copy")) {
      spark.conf().set(CellsparkSettings.HDF5_REMOTE.name(), strategy);
      HdfOpener.dropLocalCopies();
      long before = HdfOpener.REMOTE_REQUESTS.get();
      TokenizeResult remote = tokenize(spark, h5ad, "s3a://" + BUCKET + "/out/tokens-" + strategy);
      assertThat(remote.output()).startsWith("s3a://" + BUCKET + "/out/");
      // One JVM here: a copy is one whole-file GET, ranged reads are many.
      if (strategy.equals("copy")) {
        assertThat(HdfOpener.REMOTE_REQUESTS.get() - before).as("reads through copy").isEqualTo(1);
      } else {
        assertThat(HdfOpener.REMOTE_REQUESTS.get() - before)
            .as("reads through range")
            .isGreaterThan(1);
      }
      TokenTables.assertSameTokensAndCounts(spark, local.output(), remote.output());
      TokenizeResult fromLoom = tokenize(spark, loom, "s3a://" + BUCKET + "/out/loom-" + strategy);
      TokenTables.assertSameTokensAndCounts(spark, local.output(), fromLoom.output());
    }
    spark.conf().unset(CellsparkSettings.HDF5_REMOTE.name());
    assertThat(
            spark
                .read()
                .parquet("s3a://" + BUCKET + "/out/tokens-range")
                .select("cell_type")
                .distinct()
                .count())
        .isEqualTo(4);
    assertThat(Files.exists(s3.bucketFolder(BUCKET).resolve("out/tokens-range/_cellspark.json")))
        .isTrue();

    Path model = FIXTURES.resolve("models/v1-tiny");
    EmbedResult localEmb =
        EmbedJob.run(
            spark,
            EmbedOptions.of(local.output(), model.toString(), work.resolve("emb").toString()));
    EmbedResult remoteEmb =
        EmbedJob.run(
            spark,
            EmbedOptions.of(
                "s3a://" + BUCKET + "/out/tokens-range",
                model.toString(),
                "s3a://" + BUCKET + "/out/embeddings"));
    List<Row> a =
        spark
            .read()
            .parquet(localEmb.output() + "/cells")
            .orderBy("cell_id")
            .select("cell_id", "embedding")
            .collectAsList();
    List<Row> b =
        spark
            .read()
            .parquet(remoteEmb.output() + "/cells")
            .orderBy("cell_id")
            .select("cell_id", "embedding")
            .collectAsList();
    assertThat(b).hasSize(600);
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).getString(0)).isEqualTo(a.get(i).getString(0));
      assertThat(((org.apache.spark.ml.linalg.Vector) b.get(i).get(1)).toArray())
          .containsExactly(((org.apache.spark.ml.linalg.Vector) a.get(i).get(1)).toArray());
    }

    // A screen with its checkpoints on the bucket (written aside, renamed: a copy on S3).
    List<String> genes = List.of("ENSG00000080986", "ENSG00000140459");
    PerturbResult localScreen =
        PerturbJob.run(
            spark,
            PerturbOptions.of(
                    local.output(),
                    model.toString(),
                    work.resolve("screen").toString(),
                    PerturbationType.DELETE)
                .withGenes(genes, false, null));
    PerturbResult remoteScreen =
        PerturbJob.run(
            spark,
            PerturbOptions.of(
                    "s3a://" + BUCKET + "/out/tokens-range",
                    model.toString(),
                    "s3a://" + BUCKET + "/out/screen",
                    PerturbationType.DELETE)
                .withGenes(genes, false, null));
    assertThat(remoteScreen.rows()).isEqualTo(localScreen.rows()).isPositive();
    assertThat(Files.exists(s3.bucketFolder(BUCKET).resolve("out/.screen.cellspark-work")))
        .as("checkpoints removed once the screen is in place")
        .isFalse();
    List<Row> c = shifts(spark, localScreen.output());
    List<Row> d = shifts(spark, remoteScreen.output());
    assertThat(d).hasSameSizeAs(c);
    for (int i = 0; i < c.size(); i++) {
      assertThat(d.get(i).getString(0)).isEqualTo(c.get(i).getString(0));
      assertThat(d.get(i).getList(1)).isEqualTo(c.get(i).getList(1));
      assertThat(d.get(i).getDouble(2)).isCloseTo(c.get(i).getDouble(2), within(1e-6));
    }
  }

  /**
   * A model and a vocabulary kept in a bucket are named there (no copy to every node, no
   * --archives): the job reads local copies made once per JVM, and its tokens and embeddings equal
   * those made from the same folders on disk; the summary names the bucket, not the copy. A folder
   * that is not there is refused naming it.
   */
  @Test
  void modelAndVocabularyFromTheBucket(SparkSession spark) throws IOException {
    Path vocabulary = Fixtures.vocab("vocab-v2-small");
    Path model = Fixtures.vocab("models/tiny-v2");
    for (String name :
        List.of(
            "token_dictionary_gc104M.pkl",
            "gene_median_dictionary_gc104M.pkl",
            "ensembl_mapping_dict_gc104M.pkl",
            "gene_name_id_dict_gc104M.pkl")) {
      upload(spark, vocabulary.resolve(name), "geneformer/dicts/" + name);
    }
    // Beside the dictionaries, as in a clone of upstream's repository: not copied.
    upload(spark, Fixtures.atlas("classify_atlas.h5ad"), "geneformer/dicts/sub/big.h5ad");
    for (String name : List.of("config.json", "model.safetensors", "model.pt")) {
      upload(spark, model.resolve(name), "geneformer/tiny-v2/" + name);
    }
    String atlas = Fixtures.atlas("csr_float32_gzip.h5ad").toString();

    TokenizeResult local =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(atlas)
                .vocabulary(vocabulary.toString())
                .output(work.resolve("v2-local").toString())
                .build());
    String remoteVocabulary = "s3a://" + BUCKET + "/geneformer/dicts";
    TokenizeResult remote =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(atlas)
                .vocabulary(remoteVocabulary)
                .output(work.resolve("v2-remote").toString())
                .build());
    TokenTables.assertSameTokensAndCounts(spark, local.output(), remote.output());
    String summary = Files.readString(work.resolve("v2-remote/_cellspark.json"));
    assertThat(summary)
        .contains(remoteVocabulary + "/token_dictionary_gc104M.pkl")
        .doesNotContain("cellspark-copies");

    EmbedResult fromDisk =
        EmbedJob.run(
            spark,
            EmbedOptions.of(
                local.output(), model.toString(), work.resolve("emb-v2-local").toString()));
    EmbedResult fromBucket =
        EmbedJob.run(
            spark,
            EmbedOptions.of(
                local.output(),
                "s3a://" + BUCKET + "/geneformer/tiny-v2",
                work.resolve("emb-v2-remote").toString()));
    List<Row> a = embeddings(spark, fromDisk.output());
    List<Row> b = embeddings(spark, fromBucket.output());
    assertThat(b).hasSameSizeAs(a).isNotEmpty();
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).getString(0)).isEqualTo(a.get(i).getString(0));
      assertThat(((org.apache.spark.ml.linalg.Vector) b.get(i).get(1)).toArray())
          .containsExactly(((org.apache.spark.ml.linalg.Vector) a.get(i).get(1)).toArray());
    }

    // check-model starts no Spark: the store's settings come with its options (--conf).
    String remoteModel = "s3a://" + BUCKET + "/geneformer/tiny-v2";
    assertThat(
            ModelVocabularyCheck.run(
                    new ModelVocabularyCheck.Options(
                        remoteModel, remoteVocabulary, 64, s3.s3aSettings()))
                .lines())
        .anyMatch(l -> l.startsWith("Model " + remoteModel + " (model.safetensors)"))
        .anyMatch(l -> l.contains("vocabulary at " + remoteVocabulary));

    String missing = "s3a://" + BUCKET + "/geneformer/no-such-model";
    assertThatThrownBy(
            () ->
                EmbedJob.run(
                    spark,
                    EmbedOptions.of(
                        local.output(), missing, work.resolve("emb-missing").toString())))
        .isInstanceOf(UserException.class)
        .hasMessage("Model " + missing + " does not exist");
    assertThat(work.resolve("emb-missing")).doesNotExist();
  }

  private static List<Row> embeddings(SparkSession spark, String output) {
    return spark
        .read()
        .parquet(output + "/cells")
        .orderBy("cell_id")
        .select("cell_id", "embedding")
        .collectAsList();
  }

  private static List<Row> shifts(SparkSession spark, String screen) {
    return spark
        .read()
        .parquet(screen + "/cell_shifts")
        .select("cell_id", "perturbed_tokens", "cosine_similarity")
        .orderBy("cell_id", "perturbed_tokens")
        .collectAsList();
  }

  @Test
  void cellRangerAndMatrixMarketFromTheBucket(SparkSession spark) throws IOException {
    TokenizeResult local =
        TokenizeJob.run(
            spark,
            TokenTables.v1(Fixtures.atlas("classify_atlas.h5ad").toString())
                .output(work.resolve("local-plain").toString())
                .build());
    String tenx = upload(spark, FIXTURES.resolve("tenx/classify_10x.h5"), "in/classify_10x.h5");
    for (String f : List.of("matrix.mtx.gz", "features.tsv.gz", "barcodes.tsv.gz")) {
      upload(spark, FIXTURES.resolve("mtx/classify_10x").resolve(f), "in/mtx/" + f);
    }
    for (String input : List.of(tenx, "s3a://" + BUCKET + "/in/mtx")) {
      TokenizeResult remote =
          TokenizeJob.run(
              spark,
              TokenTables.v1(input)
                  .output("s3a://" + BUCKET + "/out/plain-" + input.length())
                  .build());
      TokenTables.assertSameTokensAndCounts(spark, local.output(), remote.output());
    }
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input("s3a://" + BUCKET + "/in/missing.h5ad")
                        .vocabulary("builtin:geneformer-v1")
                        .output("s3a://" + BUCKET + "/out/never")
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("missing.h5ad does not exist");
    assertThat(Files.exists(s3.bucketFolder(BUCKET).resolve("out/never"))).isFalse();
  }

  /** An AnnData zarr store is a folder of many small objects: every one read through S3A. */
  @Test
  void anndataZarrStoreFromTheBucket(SparkSession spark) throws IOException {
    java.util.function.BiFunction<String, String, TokenizeOptions> zarr =
        (input, output) ->
            TokenizeOptions.builder()
                .input(input)
                .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
                .attribute("cell_type")
                .output(output)
                .build();
    TokenizeResult local =
        TokenizeJob.run(
            spark,
            zarr.apply(
                Fixtures.zarr("atlas.zarr").toString(), work.resolve("local-zarr").toString()));
    String remote = upload(spark, Fixtures.zarr("atlas.zarr"), "in/atlas.zarr");
    TokenizeResult fromBucket =
        TokenizeJob.run(spark, zarr.apply(remote, "s3a://" + BUCKET + "/out/zarr"));
    assertThat(fromBucket.cellsWritten()).isEqualTo(37);
    TokenTables.assertSameTokensAndCounts(spark, local.output(), fromBucket.output());
    // The same cells in zarr format 3 shards: each shard's index and inner chunks by ranged reads.
    String sharded = upload(spark, Fixtures.zarr("atlas_sharded.zarr"), "in/atlas_sharded.zarr");
    TokenizeResult shards =
        TokenizeJob.run(spark, zarr.apply(sharded, "s3a://" + BUCKET + "/out/zarr-sharded"));
    TokenTables.assertSameTokensAndCounts(spark, local.output(), shards.output());
  }

  @Test
  void huggingFaceDatasetFromTheBucket(SparkSession spark) throws IOException {
    Path local = Fixtures.huggingFace("v2_tokens.dataset");
    try (java.util.stream.Stream<Path> files = Files.list(local)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        upload(spark, f, "in/v2_tokens.dataset/" + f.getFileName());
      }
    }
    String remote = "s3a://" + BUCKET + "/in/v2_tokens.dataset";
    List<Row> expected = TokenTables.rowsByCellId(spark, local.toString(), DATASET_COLUMNS);
    assertThat(expected).hasSize(37);
    assertThat(TokenTables.rowsByCellId(spark, remote, DATASET_COLUMNS)).isEqualTo(expected);
    // Split between record batches: header scan and ranged reads on S3.
    org.cellspark.jobs.common.SparkJobs.withSessionConf(
        spark,
        "spark.sql.files.maxPartitionBytes",
        "3000",
        () ->
            assertThat(TokenTables.rowsByCellId(spark, remote, DATASET_COLUMNS))
                .isEqualTo(expected));

    // tokenize --output-format dataset into the bucket: the same cells as a local Parquet run.
    TokenizeOptions.Builder tokens =
        TokenizeOptions.builder()
            .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .partitions(2);
    String written =
        TokenizeJob.run(
                spark,
                tokens
                    .outputFormat(org.cellspark.jobs.tokenize.OutputFormat.DATASET)
                    .output("s3a://" + BUCKET + "/out/tokens.dataset")
                    .build())
            .output();
    String parquet =
        TokenizeJob.run(
                spark,
                tokens
                    .outputFormat(org.cellspark.jobs.tokenize.OutputFormat.PARQUET)
                    .output(work.resolve("tokens-parquet").toString())
                    .build())
            .output();
    assertThat(Files.exists(s3.bucketFolder(BUCKET).resolve("out/tokens.dataset/state.json")))
        .isTrue();
    assertThat(TokenTables.rowsByCellId(spark, written, "cell_id", "length"))
        .hasSize(37)
        .isEqualTo(TokenTables.rowsByCellId(spark, parquet, "cell_id", "length"));
    TokenTables.assertSameTokensAndCounts(spark, parquet, written);

    // finetune-genes with the tokens, the gene classes and the output in the bucket: a fold's
    // model goes from the task's local disk into the bucket.
    String classes = upload(spark, Fixtures.genes("gene_classes.json"), "in/gene_classes.json");
    org.cellspark.jobs.genes.GeneFinetuneResult genes =
        org.cellspark.jobs.genes.GeneFinetuneJob.run(
            spark,
            org.cellspark.jobs.genes.GeneFinetuneOptions.builder()
                .input(remote)
                .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
                .geneClasses(classes)
                .model(Fixtures.vocab("models/tiny-v2").toString())
                .output("s3a://" + BUCKET + "/out/genes")
                .folds(2)
                .runFolds(1)
                .build());
    assertThat(genes.output()).startsWith("s3a://" + BUCKET + "/out/genes");
    Path inBucket = s3.bucketFolder(BUCKET).resolve("out/genes");
    assertThat(Files.readAllLines(inBucket.resolve("genes.csv"))).hasSize(21);
    assertThat(inBucket.resolve("models/fold-1/model.safetensors")).exists();
    assertThat(inBucket.resolve("models/fold-2")).doesNotExist();

    // pretrain a new model from a config.json in the bucket, on the tokens in the bucket, into it.
    String config =
        upload(spark, Fixtures.vocab("models/tiny-v2/config.json"), "in/new-model.json");
    org.cellspark.jobs.pretrain.PretrainResult pretrained =
        org.cellspark.jobs.pretrain.PretrainJob.run(
            spark,
            org.cellspark.jobs.pretrain.PretrainOptions.builder()
                .input(remote)
                .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
                .newModel(config)
                .output("s3a://" + BUCKET + "/out/pretrained")
                .epochs(1)
                .build());
    assertThat(pretrained.trainingCells() + pretrained.validationCells()).isEqualTo(37);
    Path model = s3.bucketFolder(BUCKET).resolve("out/pretrained");
    assertThat(model.resolve("model/model.safetensors")).exists();
    assertThat(Files.readAllLines(model.resolve("training.csv")))
        .as("epoch 0 (the new model as it started) and epoch 1")
        .hasSize(3);

    // finetune-multitask on the tokens in the bucket, its model and predictions into it.
    org.cellspark.jobs.multitask.MultitaskResult multitask =
        org.cellspark.jobs.multitask.MultitaskJob.run(
            spark,
            org.cellspark.jobs.multitask.MultitaskOptions.builder()
                .input(remote)
                .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
                .tasks(List.of("cell_type", "donor"))
                .model(Fixtures.vocab("models/tiny-v2").toString())
                .output("s3a://" + BUCKET + "/out/multitask")
                .minClassSize(1)
                .epochs(1)
                .build());
    assertThat(multitask.output()).startsWith("s3a://" + BUCKET + "/out/multitask");
    Path tasks = s3.bucketFolder(BUCKET).resolve("out/multitask");
    assertThat(tasks.resolve("model/model.safetensors")).exists();
    assertThat(tasks.resolve("confusion_matrix_donor.csv")).exists();
    assertThat(spark.read().parquet(multitask.output() + "/predictions").count()).isEqualTo(37);
  }
}
