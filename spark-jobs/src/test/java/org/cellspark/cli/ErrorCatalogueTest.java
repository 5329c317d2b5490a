package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.model.GpuReach;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.S3Server;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every entry of docs/errors.md, met through the command line as a user meets it: the exit code and
 * the message the page gives; a console (everything written to standard output and error while the
 * command runs, with bin/cellspark's logging) that holds that message and Cellspark's own progress
 * lines before it, with no stack trace and no line of Spark's; the details in the run's log file;
 * no output (not even a half-written one; an output that was there before is left as it was), and
 * no input changed. The page is read as data (ErrorCatalogue), so an entry without a scenario here,
 * or a scenario without an entry, fails the build.
 */
@ExtendWith(SharedSpark.class)
class ErrorCatalogueTest {
  private static final Path PAGE = Fixtures.repositoryRoot().resolve("docs/errors.md");
  private static final Path FIXTURES =
      Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures");
  private static final String V1 = Fixtures.vocab("vocab-v1-small").toString();
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();
  private static final Path TINY_V1 = Fixtures.vocab("models/tiny-v1");
  private static final Path TINY_V2 = Fixtures.vocab("models/tiny-v2");
  private static final java.io.File V2_DATASET = Fixtures.huggingFace("v2_tokens.dataset").toFile();
  private static final String ATLAS = Fixtures.atlas("csr_float32_gzip.h5ad").toString();

  @TempDir static Path shared;
  private static Path tokensV1;
  private static Path tokensV2;
  private static Map<String, String> before;
  private static UserConsole console;

  /** A log line as conf/log4j2.properties writes it to the console. */
  private static final Pattern LOG_LINE =
      Pattern.compile("^\\d\\d:\\d\\d:\\d\\d ([A-Z]+) \\S+: .*");

  private static final Pattern TRACE_LINE =
      Pattern.compile("^(\\s+at |\\s*\\.\\.\\. \\d+ more|Caused by: |Exception in thread).*");

  /** Cellspark's progress lines a refused run may print before its message. */
  private static final int MAX_LINES_BEFORE_MESSAGE = 4;

  /** Where a scenario puts the inputs it makes (checked unchanged) and its outputs. */
  record Workspace(Path in, Path out) {}

  /** What a scenario runs: a command line and the output location it names. */
  record Attempt(List<String> args, Path output) {
    static Attempt of(Path output, String... args) {
      return new Attempt(List.of(args), output);
    }

    /** The same command line with more arguments after it. */
    Attempt with(String... more) {
      List<String> all = new ArrayList<>(args);
      all.addAll(List.of(more));
      return new Attempt(all, output);
    }
  }

  @FunctionalInterface
  interface Scenario {
    Attempt prepare(Workspace w) throws Exception;
  }

  @BeforeAll
  static void tokensForTheModelEntries(SparkSession spark) throws IOException {
    assertThat(spark.sparkContext().isStopped()).isFalse(); // the CLI reuses the shared session
    tokensV1 = tokenizeOk(V1, "tokens-v1");
    tokensV2 = tokenizeOk(V2, "tokens-v2");
    before = fingerprints(FIXTURES, Fixtures.vocab("."), tokensV1, tokensV2);
    console = UserConsole.open(shared.resolve("cellspark.log"));
  }

  @AfterAll
  static void noInputChanged() throws IOException {
    if (console != null) {
      console.close();
    }
    if (s3 != null) {
      s3.close();
    }
    assertThat(fingerprints(FIXTURES, Fixtures.vocab("."), tokensV1, tokensV2)).isEqualTo(before);
  }

  /** The atlas tokenized with the V2 vocabulary into the scenario's inputs, with these columns. */
  private static Path tokensV2With(Workspace w, String... attributes) {
    Path tokens = w.in().resolve("tokens");
    List<String> args = new ArrayList<>(List.of("tokenize", "--input", ATLAS, "--vocabulary", V2));
    for (String a : attributes) {
      args.addAll(List.of("--attribute", a));
    }
    args.addAll(List.of("--output", tokens.toString()));
    CliRun made = CliRun.of(args.toArray(new String[0]));
    assertThat(made.exitCode()).as(made.err()).isZero();
    return tokens;
  }

  private static Path tokenizeOk(String vocabulary, String name) {
    Path out = shared.resolve(name);
    CliRun run =
        CliRun.of(
            "tokenize", "--input", ATLAS, "--vocabulary", vocabulary, "--output", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everyEntryIsRefusedAsThePageSays() throws IOException {
    ErrorCatalogue page = ErrorCatalogue.read(PAGE);
    Map<String, Scenario> scenarios = scenarios();
    return page.entries().values().stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    entry.id(),
                    () -> {
                      Scenario scenario = scenarios.get(entry.id());
                      assertThat(scenario)
                          .as(
                              "a scenario in ErrorCatalogueTest for docs/errors.md's entry '%s'",
                              entry.id())
                          .isNotNull();
                      Path root =
                          Files.createDirectories(shared.resolve("entries").resolve(entry.id()));
                      Workspace w =
                          new Workspace(
                              Files.createDirectories(root.resolve("in")),
                              Files.createDirectories(root.resolve("out")));
                      Attempt attempt = scenario.prepare(w);
                      Map<String, String> inputs = fingerprints(w.in());
                      Map<String, String> outputs = fingerprints(w.out());
                      boolean outputExisted = Files.exists(attempt.output());

                      UserConsole.Run run = console.run(attempt.args().toArray(new String[0]));

                      assertThat(run.exitCode())
                          .as("exit code; printed:%n%s", run.console())
                          .isEqualTo(entry.exitCode());
                      assertThat(entry.missingFrom(run.console()))
                          .as("the page's message, in:%n%s", run.console())
                          .isNull();
                      assertOneMessage(run.console());
                      if (entry
                          .messages()
                          .get(0)
                          .get(0)
                          .startsWith("error:")) { // picocli's usage errors are not logged
                        assertThat(entry.missingFrom(run.log()))
                            .as("the failure in the log file; it gained:%n%s", run.log())
                            .isNull();
                      }
                      assertThat(fingerprints(w.in())).as("inputs untouched").isEqualTo(inputs);
                      // Nothing written beside an output either (no staging folder left), and an
                      // output that
                      // was there before the failed run is as it was.
                      assertThat(fingerprints(w.out())).as("outputs").isEqualTo(outputs);
                      assertThat(Files.exists(attempt.output()))
                          .as("output %s", attempt.output())
                          .isEqualTo(outputExisted);
                    }));
  }

  /**
   * The console of a refused run: at most a few of Cellspark's own progress lines, then the message
   * (which may run over several lines, or be followed by picocli's usage help); never a stack trace
   * or a line logged by Spark or any other library.
   */
  private static void assertOneMessage(String printed) {
    List<String> lines = printed.lines().filter(l -> !l.isBlank()).toList();
    int message = 0;
    while (message < lines.size() && LOG_LINE.matcher(lines.get(message)).matches()) {
      message++;
    }
    assertThat(message)
        .as("lines before the message in:%n%s", printed)
        .isLessThanOrEqualTo(MAX_LINES_BEFORE_MESSAGE);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      assertThat(TRACE_LINE.matcher(line).matches())
          .as("a stack trace line in:%n%s", printed)
          .isFalse();
      Matcher log = LOG_LINE.matcher(line);
      if (log.matches()) {
        assertThat(i).as("a log line after the message in:%n%s", printed).isLessThan(message);
        assertThat(log.group(1))
            .as("Cellspark's progress only, in:%n%s", printed)
            .isIn("INFO", "WARN");
      }
    }
  }

  @Test
  void everyScenarioHasAnEntry() throws IOException {
    assertThat(ErrorCatalogue.read(PAGE).entries().keySet())
        .containsExactlyInAnyOrderElementsOf(scenarios().keySet());
  }

  // ------------------------------------------------------------------------------------------
  // The scenarios, in the page's order.

  private static Map<String, Scenario> scenarios() {
    Map<String, Scenario> s = new LinkedHashMap<>();
    // Inputs
    s.put("input-missing", w -> tokenize(w, w.in().resolve("absent.h5ad").toString()));
    s.put(
        "store-connector-missing",
        w -> tokenize(w, "gs://atlases/heart.h5ad")); // no Cloud Storage connector here
    s.put(
        "store-access-denied",
        w ->
            tokenize(
                w, inTheBucket(w, "a.h5ad"), s3Settings(Map.of("fs.s3a.secret.key", "wrong"))));
    s.put(
        "store-no-credentials",
        w ->
            tokenize(
                w,
                inTheBucket(w, "a.h5ad"),
                s3Settings(Map.of("fs.s3a.access.key", "", "fs.s3a.secret.key", ""))));
    s.put(
        "store-object-without-etag",
        w -> {
          // Put straight into the server's folder, not uploaded: s3proxy then sends no ETag.
          Files.copy(
              Path.of(ATLAS),
              s3().bucketFolder("atlases").resolve("direct.h5ad"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          return tokenize(w, "s3a://atlases/direct.h5ad", s3Settings(Map.of()));
        });
    s.put("not-hdf5", w -> tokenize(w, Fixtures.bad("not_hdf5.h5ad").toString()));
    s.put("hdf5-not-anndata", w -> tokenize(w, Fixtures.bad("not_anndata.h5").toString()));
    s.put("hdf5-not-cell-ranger", w -> tokenize(w, FIXTURES.resolve("tenx/not_10x.h5").toString()));
    s.put(
        "cell-ranger-several-genomes",
        w -> tokenize(w, Fixtures.field("cellranger2_barnyard.h5").toString()));
    s.put(
        "mudata-modality-not-found",
        w -> tokenize(w, Fixtures.field("mudata.h5mu").toString(), "--modality", "atac"));
    s.put("option-for-another-format", w -> tokenize(w, ATLAS, "--genome", "hg19"));
    s.put("hdf5-truncated", w -> tokenize(w, Fixtures.bad("truncated.h5ad").toString()));
    s.put("hdf5-corrupt-chunk", w -> tokenize(w, Fixtures.bad("corrupt_chunk.h5ad").toString()));
    s.put(
        "gzip-truncated",
        w -> tokenize(w, FIXTURES.resolve("mtx/truncated").toString(), "--min-gene-match", "0"));
    s.put(
        "mtx-shape",
        w -> tokenize(w, FIXTURES.resolve("mtx/bad_dims").toString(), "--min-gene-match", "0"));
    s.put(
        "mtx-entry-outside",
        w -> tokenize(w, FIXTURES.resolve("mtx/out_of_range").toString(), "--min-gene-match", "0"));
    s.put(
        "mtx-entry-repeated",
        w -> {
          Path folder = Files.createDirectories(w.in().resolve("repeated"));
          for (String f : List.of("features.tsv", "barcodes.tsv")) {
            Files.copy(FIXTURES.resolve("mtx/out_of_range").resolve(f), folder.resolve(f));
          }
          Files.writeString(
              folder.resolve("matrix.mtx"),
              "%%MatrixMarket matrix coordinate integer general\n2 3 3\n1 1 4\n2 1 1\n1 1 2\n");
          return tokenize(w, folder.toString(), "--min-gene-match", "0");
        });
    s.put(
        "loom-without-gene-ids",
        w -> tokenize(w, FIXTURES.resolve("loom/no_gene_ids.loom").toString()));
    s.put(
        "zarr-codec-unknown",
        w -> {
          // A format 3 store whose X/data is compressed with numcodecs' bz2.
          Path store = w.in().resolve("bz2.zarr");
          org.apache.commons.io.FileUtils.copyDirectory(
              Fixtures.zarr("atlas_v3.zarr").toFile(), store.toFile());
          Path meta = store.resolve("X/data/zarr.json");
          Files.writeString(meta, Files.readString(meta).replace("\"zstd\"", "\"numcodecs.bz2\""));
          return tokenize(w, store.toString());
        });
    s.put(
        "zarr-chunk-damaged",
        w -> {
          Path store = w.in().resolve("atlas.zarr");
          org.apache.commons.io.FileUtils.copyDirectory(
              Fixtures.zarr("atlas.zarr").toFile(), store.toFile());
          Path chunk = store.resolve("X/data/0");
          byte[] whole = Files.readAllBytes(chunk);
          Files.write(chunk, java.util.Arrays.copyOf(whole, whole.length / 2)); // cut short
          return tokenize(w, store.toString());
        });
    s.put(
        "long-table-repeated-gene",
        w -> {
          Path table = w.in().resolve("long.parquet");
          StructType schema =
              new StructType()
                  .add("cell_id", DataTypes.StringType)
                  .add("gene_id", DataTypes.StringType)
                  .add("count", DataTypes.IntegerType);
          SparkSession.active()
              .createDataFrame(
                  List.of(
                      RowFactory.create("c1", "ENSG00000000001", 3),
                      RowFactory.create("c1", "ENSG00000000002", 1),
                      RowFactory.create("c1", "ENSG00000000001", 2)),
                  schema)
              .coalesce(1)
              .write()
              .parquet(table.toString());
          return tokenize(w, table.toString(), "--min-gene-match", "0");
        });
    s.put("counts-not-found", w -> tokenize(w, ATLAS, "--counts", "layers/counts"));
    s.put("gene-id-column-not-found", w -> tokenize(w, ATLAS, "--gene-id-column", "gene_ids"));
    s.put(
        "gene-id-column-fixed-place",
        w ->
            tokenize(
                w, Fixtures.field("cellranger2.h5").toString(), "--gene-id-column", "gene_ids"));
    s.put(
        "ensembl-ids-another-organism",
        w -> tokenize(w, Fixtures.field("mouse_ids.h5ad").toString()));
    s.put(
        "symbols-another-organism",
        w ->
            tokenize(
                w, Fixtures.field("mouse_symbols.h5ad").toString(), "--gene-id-type", "symbol"));
    s.put("gene-symbols-not-matched", w -> tokenize(w, ATLAS, "--gene-id-type", "symbol"));
    s.put(
        "too-few-vocabulary-genes",
        w -> tokenize(w, Fixtures.bad("low_gene_match.h5ad").toString()));
    s.put("counts-not-integers", w -> tokenize(w, Fixtures.bad("normalised.h5ad").toString()));
    s.put(
        "counts-negative",
        w -> {
          // With --overwrite over an earlier output: the failed run must leave that output as it
          // was.
          Path earlier = Files.createDirectories(w.out().resolve("tokens"));
          Files.writeString(earlier.resolve("part-0.parquet"), "an earlier run's output");
          return tokenize(w, Fixtures.bad("negative.h5ad").toString(), "--overwrite");
        });
    s.put("counts-nan", w -> tokenize(w, Fixtures.bad("nan_value.h5ad").toString()));
    s.put(
        "counts-infinite",
        w -> tokenize(w, Fixtures.bad("inf_value.h5ad").toString(), "--allow-non-integer"));
    s.put("cell-ids-repeated", w -> tokenize(w, Fixtures.bad("duplicate_cells.h5ad").toString()));
    s.put("cell-id-missing", w -> tokenize(w, Fixtures.bad("missing_cell_id.h5ad").toString()));
    s.put("attribute-not-found", w -> tokenize(w, ATLAS, "--attribute", "tissue"));
    s.put(
        "attribute-format-has-none",
        w ->
            tokenize(
                w,
                FIXTURES.resolve("mtx/classify_10x").toString(),
                "--min-gene-match",
                "0",
                "--attribute",
                "cell_type"));
    // Vocabularies
    s.put("vocabulary-not-found", w -> tokenizeWith(w, w.in().resolve("no-vocabulary").toString()));
    s.put(
        "vocabulary-without-token-dictionary",
        w -> tokenizeWith(w, Files.createDirectories(w.in().resolve("vocab")).toString()));
    s.put(
        "vocabulary-gene-without-median",
        w -> {
          Path vocab = Files.createDirectories(w.in().resolve("vocab"));
          Files.writeString(
              vocab.resolve("token_dictionary.tsv"),
              "<pad>\t0\n<mask>\t1\nENSG00000000001\t2\nENSG00000000002\t3\n");
          Files.writeString(vocab.resolve("gene_median_dictionary.tsv"), "ENSG00000000001\t1.5\n");
          return tokenizeWith(w, vocab.toString());
        });
    s.put("pickle-not-a-dict", w -> pickleVocabulary(w, "\u0080\u0002]q\u0000(K\u0001K\u0002e."));
    s.put(
        "pickle-builds-objects",
        w -> pickleVocabulary(w, "cos\nsystem\n(S'touch /tmp/cellspark-pwned'\ntR."));
    s.put("special-tokens-need-v2", w -> tokenizeWith(w, V1, "--special-tokens", "on"));
    // Models
    s.put(
        "model-not-found",
        // A Hub name, as transformers' from_pretrained takes it (relative: nothing of that name).
        w -> embed(w, tokensV2, Path.of("ctheodoris/Geneformer")));
    s.put(
        "model-without-config",
        w -> embed(w, tokensV2, Files.createDirectories(w.in().resolve("model"))));
    s.put(
        "gpu-without-cuda",
        w -> {
          // A machine whose libtorch reaches a GPU would embed on it: nothing to refuse there.
          assumeTrue(GpuReach.gpus() == 0, "this machine's libtorch reaches a GPU");
          return embed(w, tokensV2, TINY_V2).with("--conf", "spark.cellspark.embedded.gpus=0");
        });
    s.put(
        "task-gpus-in-embedded-spark",
        w -> embed(w, tokensV2, TINY_V2).with("--conf", "spark.task.resource.gpu.amount=1"));
    s.put(
        "model-without-weights",
        w -> {
          Path model = Files.createDirectories(w.in().resolve("model"));
          Files.copy(TINY_V2.resolve("config.json"), model.resolve("config.json"));
          return embed(w, tokensV2, model);
        });
    s.put(
        "checkpoint-shard-missing",
        w -> {
          Path model = w.in().resolve("model");
          FileUtils.copyDirectory(
              Fixtures.vocab("checkpoints/tiny-v2-sharded").toFile(), model.toFile());
          Files.delete(model.resolve("model-00002-of-00003.safetensors"));
          return embed(w, tokensV2, model);
        });
    s.put(
        "git-lfs-pointer",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          Files.writeString(
              model.resolve("model.safetensors"),
              "version https://git-lfs.github.com/spec/v1\n"
                  + "oid sha256:4d7f7e0a5b8c1f2e3d4c5b6a79881726354433221100ffeeddccbbaa99887766\n"
                  + "size 94888\n");
          return embed(w, tokensV2, model);
        });
    s.put(
        "model-not-bert",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          Files.writeString(
              model.resolve("config.json"), "{\"model_type\": \"gpt2\", \"vocab_size\": 34}");
          return embed(w, tokensV2, model);
        });
    s.put(
        "model-config-disagrees",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          Files.writeString(
              model.resolve("config.json"),
              Files.readString(model.resolve("config.json"))
                  .replace("\"hidden_size\": 32", "\"hidden_size\": 64"));
          return embed(w, tokensV2, model);
        });
    s.put(
        "safetensors-offsets-beyond-file",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          byte[] bytes = Files.readAllBytes(model.resolve("model.safetensors"));
          Files.write(
              model.resolve("model.safetensors"),
              java.util.Arrays.copyOf(bytes, bytes.length - 1000));
          return embed(w, tokensV2, model);
        });
    s.put(
        "safetensors-sizes-wrong",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          shrinkFirstTensor(model.resolve("model.safetensors"));
          return embed(w, tokensV2, model);
        });
    s.put("checkpoint-runs-code", w -> embed(w, tokensV2, checkpointOf("refused/code.bin", w)));
    s.put(
        "checkpoint-format-before-pytorch-1-6",
        w -> embed(w, tokensV2, checkpointOf("refused/legacy.bin", w)));
    s.put(
        "token-ids-beyond-vocabulary",
        w -> withVocabulary(embed(w, tokensHolding(w, new int[] {5, 7, 40}), TINY_V2)));
    s.put(
        "token-ids-negative",
        w -> withVocabulary(pretrain(w, tokensHolding(w, new int[] {5, -100, 7}), TINY_V2)));
    s.put(
        "token-ids-null",
        w ->
            withVocabulary(
                pretrain(w, tokensHolding(w, java.util.Arrays.asList(5, null, 7)), TINY_V2)));
    s.put(
        "token-ids-beyond-int32",
        w ->
            withVocabulary(embed(w, tokensHolding(w, new long[] {5, (1L << 32) + 7, 7}), TINY_V2)));
    s.put(
        "model-vocabulary-mismatch",
        w ->
            Attempt.of(
                w.out().resolve("nothing"),
                "check-model",
                "--model",
                TINY_V2.toString(),
                "--vocabulary",
                V1));
    s.put(
        "model-weights-not-finite",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          poisonFirstValue(model.resolve("model.safetensors"), "embeddings.word_embeddings.weight");
          return Attempt.of(
              w.out().resolve("nothing"),
              "check-model",
              "--model",
              model.toString(),
              "--vocabulary",
              V2,
              "--model-input-size",
              "64");
        });
    s.put(
        "finetune-without-validation-cells",
        w -> {
          // The 36 cells tokenize keeps, split by the hash of their IDs: a 0.1% validation part
          // gets none.
          Path tokens = tokensV2With(w, "cell_type");
          Path output = w.out().resolve("ft");
          return Attempt.of(
              output,
              "finetune",
              "--input",
              tokens.toString(),
              "--label",
              "cell_type",
              "--model",
              TINY_V2.toString(),
              "--split",
              "0.998,0.001,0.001",
              "--min-class-size",
              "0",
              "--output",
              output.toString());
        });
    s.put(
        "split-groups-group-twice",
        w -> {
          Path dict = w.in().resolve("split_id_dict.json");
          Files.writeString(
              dict,
              "{\"attr_key\": \"donor\", \"train\": [\"donor0\", \"donor1\"],"
                  + " \"test\": [\"donor2\", \"donor0\"]}");
          Path output = w.out().resolve("ft");
          return Attempt.of(
              output,
              "finetune",
              "--input",
              tokensV2.toString(),
              "--label",
              "cell_type",
              "--model",
              TINY_V2.toString(),
              "--split-groups",
              dict.toString(),
              "--output",
              output.toString());
        });
    s.put(
        "model-is-a-lora-adapter",
        w -> {
          // What upstream's Classifier(quantize=True) leaves: peft's adapter files, no model.
          Path adapter = Files.createDirectories(w.in().resolve("cell_classifier"));
          Files.writeString(
              adapter.resolve("adapter_config.json"),
              "{\"base_model_name_or_path\": \"ctheodoris/Geneformer\", \"peft_type\":"
                  + " \"LORA\", \"task_type\": \"TOKEN_CLS\", \"r\": 64, \"lora_alpha\":"
                  + " 128, \"lora_dropout\": 0.1, \"target_modules\": [\"query\","
                  + " \"value\"], \"bias\": \"none\"}");
          Files.copy(
              TINY_V2.resolve("model.safetensors"), adapter.resolve("adapter_model.safetensors"));
          return embed(w, tokensV2, adapter);
        });
    s.put("lora-rank-above-hidden-size", w -> loraFinetune(w, "--lora"));
    s.put("lora-settings-without-lora", w -> loraFinetune(w, "--lora-rank", "8"));
    s.put(
        "search-range-without-trials",
        w -> {
          Path output = w.out().resolve("ft");
          return Attempt.of(
              output,
              "finetune",
              "--input",
              tokensV2.toString(),
              "--label",
              "cell_type",
              "--model",
              TINY_V2.toString(),
              "--search",
              "learning-rate=log:1e-6..1e-3",
              "--output",
              output.toString());
        });
    s.put(
        "stratify-with-group",
        w -> {
          Path output = w.out().resolve("ft");
          return Attempt.of(
              output,
              "finetune",
              "--input",
              tokensV2.toString(),
              "--label",
              "cell_type",
              "--group",
              "donor",
              "--stratify",
              "cell_type",
              "--model",
              TINY_V2.toString(),
              "--output",
              output.toString());
        });
    s.put(
        "balance-column-varies-within-group",
        w -> {
          Path tokens = tokensV2With(w, "cell_type", "donor", "batch");
          Path output = w.out().resolve("ft");
          return Attempt.of(
              output,
              "finetune",
              "--input",
              tokens.toString(),
              "--label",
              "cell_type",
              "--group",
              "donor",
              "--balance",
              "batch",
              "--model",
              TINY_V2.toString(),
              "--min-class-size",
              "0",
              "--output",
              output.toString());
        });
    s.put(
        "gene-classes-too-small",
        w ->
            finetuneGenes(
                w,
                "gene,class\nSYM01,up\nSYM02,up\nSYM03,up\nSYM04,down\nSYM05,down\nSYM06,down\n"));
    s.put(
        "gene-in-two-classes",
        w -> finetuneGenes(w, "gene,class\nENSG00000000001,down\nSYM02,down\nSYM01,up\n"));
    s.put(
        "mlm-head-partial",
        w -> {
          Path model = copyOf(TINY_V2, w.in().resolve("model"));
          renameTensor(
              model.resolve("model.safetensors"),
              "cls.predictions.transform.LayerNorm.bias",
              "cls.predictions.transform.LayerNorm.bxas");
          return pretrain(w, tokensV2, model);
        });
    s.put(
        "data-parallel-more-than-local-cores",
        w -> pretrain(w, tokensV2With(w, "donor"), TINY_V2).with("--data-parallel", "4"));
    s.put(
        "pretrain-too-few-cells",
        w -> {
          Path tokens = tokensV2With(w, "donor");
          return pretrain(w, tokens, TINY_V2).with("--filter", "donor=donor2");
        });
    s.put(
        "gene-classes-not-the-models",
        w -> {
          Path model = FIXTURES.resolve("models/upstream-gene-classifier");
          Path output = w.out().resolve("genes");
          return Attempt.of(
              output,
              "classify",
              "apply",
              "--model",
              model.toString(),
              "--tokens",
              tokensV1.toString(),
              "--gene-classes",
              model.resolve("gene_class_dict.pkl").toString(),
              "--output",
              output.toString());
        });
    s.put("v1-tokens-v2-model", w -> embed(w, tokensV1, TINY_V2));
    s.put("v2-tokens-v1-model", w -> embed(w, tokensV2, TINY_V1));
    s.put(
        "tokens-not-parquet",
        w -> {
          Path table = Files.createDirectories(w.in().resolve("not-parquet"));
          Files.writeString(table.resolve("cells.csv"), "cell_id,input_ids\nc1,1 2 3\n");
          return embed(w, table, TINY_V2);
        });
    s.put(
        "tokens-not-a-token-table",
        w -> {
          Path table = w.in().resolve("not-tokens");
          SparkSession.active().range(3).toDF("cell").write().parquet(table.toString());
          return embed(w, table, TINY_V2);
        });
    s.put(
        "plot-label-not-carried",
        w -> {
          Path table = w.in().resolve("emb");
          SparkSession.active()
              .sql("SELECT 'c1' AS cell_id, 'B cell' AS cell_type, array(0.5F, 1.5F) AS embedding")
              .write()
              .parquet(table.resolve("cells").toString());
          Path output = w.out().resolve("plots");
          return Attempt.of(
              output,
              "plot",
              "--input",
              table.toString(),
              "--labels",
              "cell_type,disease",
              "--output",
              output.toString());
        });
    s.put(
        "tokens-without-vocabulary",
        w -> embed(w, Fixtures.huggingFace("v2_tokens.dataset"), TINY_V2));
    s.put(
        "hf-dataset-dict",
        w -> {
          Path dict = w.in().resolve("split.dataset");
          FileUtils.copyDirectory(V2_DATASET, dict.resolve("train").toFile());
          FileUtils.copyDirectory(V2_DATASET, dict.resolve("test").toFile());
          Files.writeString(
              dict.resolve("dataset_dict.json"), "{\"splits\": [\"train\", \"test\"]}");
          return embed(w, dict, TINY_V2).with("--vocabulary", V2);
        });
    s.put(
        "hf-dataset-incomplete",
        w -> {
          Path dataset = w.in().resolve("incomplete.dataset");
          FileUtils.copyDirectory(V2_DATASET, dataset.toFile());
          Files.delete(dataset.resolve("data-00001-of-00002.arrow"));
          return embed(w, dataset, TINY_V2).with("--vocabulary", V2);
        });
    s.put(
        "hf-dataset-damaged",
        w -> {
          Path dataset = w.in().resolve("cut.dataset");
          FileUtils.copyDirectory(V2_DATASET, dataset.toFile());
          Path shard = dataset.resolve("data-00001-of-00002.arrow");
          byte[] bytes = Files.readAllBytes(shard);
          Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));
          return embed(w, dataset, TINY_V2).with("--vocabulary", V2);
        });
    s.put(
        "perturb-gene-not-in-vocabulary",
        w ->
            Attempt.of(
                w.out().resolve("screen"),
                "perturb",
                "--input",
                tokensV2.toString(),
                "--model",
                TINY_V2.toString(),
                "--output",
                w.out().resolve("screen").toString(),
                "--perturbation",
                "delete",
                "--genes",
                "ENSG00000999999"));
    // Outputs
    s.put(
        "output-exists",
        w -> {
          Files.writeString(
              Files.createDirectories(w.out().resolve("tokens")).resolve("old.txt"),
              "previous run");
          return tokenize(w, ATLAS);
        });
    s.put(
        "output-contains-input",
        w -> {
          Path folder = Files.createDirectories(w.in().resolve("atlases"));
          Files.copy(Path.of(ATLAS), folder.resolve("a.h5ad"));
          return Attempt.of(
              folder,
              "tokenize",
              "--input",
              folder.toString(),
              "--output",
              folder.toString(),
              "--vocabulary",
              V2,
              "--overwrite");
        });
    s.put(
        "output-not-writable",
        w -> {
          Path file = Files.writeString(w.out().resolve("a-file"), "not a folder");
          return Attempt.of(
              file.resolve("tokens"),
              "tokenize",
              "--input",
              ATLAS,
              "--vocabulary",
              V2,
              "--output",
              file.resolve("tokens").toString());
        });
    s.put(
        "output-unreachable",
        w ->
            Attempt.of(
                w.out().resolve("never"),
                "tokenize",
                "--input",
                ATLAS,
                "--vocabulary",
                V2,
                "--output",
                "hdfs://127.0.0.1:1/cellspark/tokens",
                "--conf",
                "spark.hadoop.ipc.client.connect.max.retries=0"));
    // Options
    s.put(
        "option-values-invalid",
        w ->
            tokenize(
                w,
                ATLAS,
                "--min-gene-match",
                "1.5",
                "--partitions",
                "-1",
                "--attribute",
                "donor=cell_id"));
    s.put(
        "setting-invalid", w -> tokenize(w, ATLAS, "--conf", "spark.cellspark.hdf5.remote=stream"));
    s.put("option-unknown", w -> tokenize(w, ATLAS, "--inptu", "x"));
    s.put(
        "option-required-missing",
        w -> Attempt.of(w.out().resolve("none"), "tokenize", "--input", ATLAS));
    return s;
  }

  private static S3Server s3;

  /** The S3 server the object-store entries read from, started for the first of them. */
  private static S3Server s3() throws IOException, InterruptedException {
    if (s3 == null) {
      s3 = S3Server.start(shared.resolve("s3"), "atlases");
    }
    return s3;
  }

  /** The atlas uploaded through S3A (as a user's file is), as {@code s3a://atlases/NAME}. */
  private static String inTheBucket(Workspace w, String name) throws Exception {
    Configuration conf = new Configuration();
    s3().configure(conf);
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("s3a://atlases/" + name);
    try (FileSystem fs = target.getFileSystem(conf)) {
      fs.copyFromLocalFile(
          false, true, new org.apache.hadoop.fs.Path(Path.of(ATLAS).toUri()), target);
    }
    return target.toString();
  }

  /**
   * The server's S3A settings as --conf arguments, with {@code changes} (an empty value is given as
   * empty, which S3A takes as none: whatever the session holds is not used).
   */
  private static String[] s3Settings(Map<String, String> changes) throws Exception {
    Map<String, String> settings = new LinkedHashMap<>(s3().s3aSettings());
    settings.putAll(changes);
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> args.addAll(List.of("--conf", "spark.hadoop." + k + "=" + v)));
    return args.toArray(String[]::new);
  }

  private static Attempt tokenize(Workspace w, String input, String... extra) {
    return attempt(w, V2, input, extra);
  }

  private static Attempt tokenizeWith(Workspace w, String vocabulary, String... extra) {
    return attempt(w, vocabulary, ATLAS, extra);
  }

  private static Attempt attempt(Workspace w, String vocabulary, String input, String... extra) {
    Path output = w.out().resolve("tokens");
    List<String> args =
        new ArrayList<>(
            List.of(
                "tokenize",
                "--input",
                input,
                "--vocabulary",
                vocabulary,
                "--output",
                output.toString()));
    args.addAll(List.of(extra));
    return new Attempt(args, output);
  }

  /** finetune of the tiny V2 model on the V2 tokens' donors, with these LoRA options. */
  private static Attempt loraFinetune(Workspace w, String... lora) {
    Path output = w.out().resolve("ft");
    return Attempt.of(
            output,
            "finetune",
            "--input",
            tokensV2With(w, "donor").toString(),
            "--label",
            "donor",
            "--model",
            TINY_V2.toString(),
            "--output",
            output.toString())
        .with(lora);
  }

  /** finetune-genes on the V2 tokens with a gene class table written into the workspace. */
  private static Attempt finetuneGenes(Workspace w, String classes) throws IOException {
    Path file = Files.writeString(w.in().resolve("classes.csv"), classes);
    Path output = w.out().resolve("genes");
    return Attempt.of(
        output,
        "finetune-genes",
        "--input",
        tokensV2.toString(),
        "--gene-classes",
        file.toString(),
        "--model",
        TINY_V2.toString(),
        "--output",
        output.toString());
  }

  /**
   * A token table made elsewhere (no summary naming its vocabulary) of two cells, c1 holding these
   * ids (an int[] or a list of Integer, or, as upstream's tokenizer writes them, a long[]) and c2
   * valid ones.
   */
  private static Path tokensHolding(Workspace w, Object c1) {
    Path tokens = w.in().resolve("tokens");
    boolean int64 = c1 instanceof long[];
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add(
                "input_ids",
                DataTypes.createArrayType(int64 ? DataTypes.LongType : DataTypes.IntegerType))
            .add("length", DataTypes.IntegerType);
    Object c2 = int64 ? new long[] {6, 4} : new int[] {6, 4};
    SparkSession.active()
        .createDataFrame(
            List.of(RowFactory.create("c1", c1, 3), RowFactory.create("c2", c2, 2)), schema)
        .coalesce(1)
        .write()
        .parquet(tokens.toString());
    return tokens;
  }

  /** The attempt with --vocabulary: a table made elsewhere does not name its vocabulary. */
  private static Attempt withVocabulary(Attempt attempt) {
    return attempt.with("--vocabulary", V2);
  }

  private static Attempt pretrain(Workspace w, Path tokens, Path model) {
    Path output = w.out().resolve("pretrained");
    return Attempt.of(
        output,
        "pretrain",
        "--input",
        tokens.toString(),
        "--model",
        model.toString(),
        "--output",
        output.toString());
  }

  /** Renames a tensor in a safetensors header (to a name of the same length). */
  private static void renameTensor(Path file, String from, String to) throws IOException {
    assertThat(to).hasSameSizeAs(from);
    byte[] all = Files.readAllBytes(file);
    int headerLength = (int) ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    String header = new String(all, 8, headerLength, StandardCharsets.UTF_8);
    assertThat(header).contains("\"" + from + "\"");
    byte[] renamed =
        header.replace("\"" + from + "\"", "\"" + to + "\"").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(renamed, 0, all, 8, renamed.length);
    Files.write(file, all);
  }

  private static Attempt embed(Workspace w, Path tokens, Path model) {
    Path output = w.out().resolve("embeddings");
    return Attempt.of(
        output,
        "embed",
        "--input",
        tokens.toString(),
        "--model",
        model.toString(),
        "--output",
        output.toString());
  }

  /** A vocabulary folder whose token dictionary is the given pickle (bytes 0-255 as chars). */
  private static Attempt pickleVocabulary(Workspace w, String pickle) throws IOException {
    Path vocab = Files.createDirectories(w.in().resolve("vocab"));
    Files.write(
        vocab.resolve("token_dictionary.pkl"), pickle.getBytes(StandardCharsets.ISO_8859_1));
    Files.copy(
        Path.of(V1).resolve("gene_median_dictionary.tsv"),
        vocab.resolve("gene_median_dictionary.tsv"));
    return tokenizeWith(w, vocab.toString());
  }

  private static Path copyOf(Path model, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : List.of("config.json", "model.safetensors")) {
      Files.copy(model.resolve(f), to.resolve(f));
    }
    return to;
  }

  /**
   * A model folder in the scenario's inputs: tiny-v2's config.json beside a PyTorch checkpoint of
   * model-udf's fixtures (make_torch_checkpoint_fixtures.py) as pytorch_model.bin.
   */
  private static Path checkpointOf(String fixture, Workspace w) throws IOException {
    Path model = Files.createDirectories(w.in().resolve("model"));
    Files.copy(TINY_V2.resolve("config.json"), model.resolve("config.json"));
    Files.copy(Fixtures.vocab("checkpoints/" + fixture), model.resolve("pytorch_model.bin"));
    return model;
  }

  /**
   * Rewrites a safetensors header so that its first tensor's byte range is 4 bytes short of its
   * shape.
   */
  private static void shrinkFirstTensor(Path file) throws IOException {
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) all.getLong(0);
    String header = new String(all.array(), 8, headerLength, StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("\"data_offsets\":\\s*\\[(\\d+),\\s*(\\d+)\\]").matcher(header);
    assertThat(m.find()).isTrue();
    String lying =
        header.substring(0, m.start())
            + "\"data_offsets\":["
            + m.group(1)
            + ","
            + (Long.parseLong(m.group(2)) - 4)
            + "]"
            + header.substring(m.end());
    byte[] h = lying.getBytes(StandardCharsets.UTF_8);
    int data = 8 + headerLength;
    ByteBuffer out =
        ByteBuffer.allocate(8 + h.length + all.capacity() - data).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(h.length).put(h).put(all.array(), data, all.capacity() - data);
    Files.write(file, out.array());
  }

  /** Writes a NaN over the first value of the tensor whose name ends with {@code tensor}. */
  private static void poisonFirstValue(Path file, String tensor) throws IOException {
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) all.getLong(0);
    String header = new String(all.array(), 8, headerLength, StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile(Pattern.quote(tensor) + "\"[^}]*\"data_offsets\":\\s*\\[(\\d+),")
            .matcher(header);
    assertThat(m.find()).isTrue();
    all.putFloat(8 + headerLength + Integer.parseInt(m.group(1)), Float.NaN);
    Files.write(file, all.array());
  }

  // ------------------------------------------------------------------------------------------

  /** Every regular file under the given roots: content hash and modification time. */
  private static Map<String, String> fingerprints(Path... roots) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Path root : roots) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path p : files.toList()) {
          out.put(
              p.toString(),
              Files.isRegularFile(p)
                  ? sha256(p) + "@" + Files.getLastModifiedTime(p).toMillis()
                  : "dir");
        }
      }
    }
    return out;
  }

  private static String sha256(Path p) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
