package org.cellspark.jobs.perturb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.model.Precision;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole screens against PyTorch: job_reference.json is computed by
 * src/test/python/make_perturb_job_reference.py from the tokens the tokenizer must produce and the
 * fixture models, from upstream's semantics, without the Java code.
 */
@ExtendWith(SharedSpark.class)
class PerturbJobTest {
  private static final double TOLERANCE = 1e-4;
  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String v2Tokens;
  private static String v1Tokens;
  private static final String V2_MODEL = Fixtures.vocab("models/tiny-v2").toString();
  private static final String V1_MODEL = Fixtures.vocab("models/tiny-v1").toString();
  private static JsonNode reference;

  @BeforeAll
  static void tokenize(SparkSession spark) throws IOException {
    v2Tokens = shared.resolve("tokens-v2").toString();
    v1Tokens = shared.resolve("tokens-v1").toString();
    for (String[] t : new String[][] {{v2Tokens, "vocab-v2-small"}, {v1Tokens, "vocab-v1-small"}}) {
      TokenizeJob.run(
          spark,
          TokenizeOptions.builder()
              .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
              .vocabulary(Fixtures.vocab(t[1]).toString())
              .attribute("cell_type")
              .output(t[0])
              .build());
    }
    reference = new ObjectMapper().readTree(Fixtures.perturb("job_reference.json").toFile());
  }

  private PerturbOptions options(String out, PerturbationType type) {
    return PerturbOptions.of(v2Tokens, V2_MODEL, tmp.resolve(out).toString(), type);
  }

  /** Rows keyed "cell_id [tokens]" → cosine, shifts. */
  private static Map<String, double[]> rows(SparkSession spark, String output, int states) {
    Map<String, double[]> out = new TreeMap<>();
    for (Row r : spark.read().parquet(output + "/cell_shifts").collectAsList()) {
      double[] v = new double[1 + states];
      v[0] = r.getDouble(r.fieldIndex("cosine_similarity"));
      for (int s = 0; s < states; s++) {
        v[1 + s] = r.getDouble(r.fieldIndex("cosine_similarity") + 1 + s);
      }
      out.put(r.getAs("cell_id") + " " + r.getList(r.fieldIndex("perturbed_tokens")), v);
    }
    return out;
  }

  private static Map<String, double[]> expectedRows(String name, int states) {
    Map<String, double[]> out = new TreeMap<>();
    for (JsonNode row : reference.get(name).get("rows")) {
      double[] v = new double[1 + states];
      v[0] = row.get(2).asDouble();
      for (int s = 0; s < states; s++) {
        v[1 + s] = row.get(3).get(s).asDouble();
      }
      List<Integer> tokens = new ArrayList<>();
      row.get(1).forEach(t -> tokens.add(t.asInt()));
      out.put(row.get(0).asText() + " " + tokens, v);
    }
    return out;
  }

  private static void assertRowsMatch(
      Map<String, double[]> actual, Map<String, double[]> expected, boolean withCosine) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (String k : expected.keySet()) {
      for (int i = withCosine ? 0 : 1; i < expected.get(k).length; i++) {
        assertThat(actual.get(k)[i])
            .as("%s value %d", k, i)
            .isCloseTo(expected.get(k)[i], org.assertj.core.data.Offset.offset(TOLERANCE));
      }
    }
  }

  /** "[tokens] affected" → mean, std, n. */
  private static Map<String, double[]> geneShifts(SparkSession spark, String output) {
    Map<String, double[]> out = new TreeMap<>();
    for (Row r : spark.read().parquet(output + "/gene_shifts").collectAsList()) {
      out.put(
          r.getList(r.fieldIndex("perturbed_tokens")) + " " + r.<Integer>getAs("affected_token"),
          new double[] {r.getAs("mean"), r.getAs("std"), r.<Long>getAs("n")});
    }
    return out;
  }

  private static Map<String, double[]> expectedGeneShifts(String name) {
    Map<String, double[]> out = new TreeMap<>();
    for (JsonNode g : reference.get(name).get("gene_shifts")) {
      List<Integer> tokens = new ArrayList<>();
      g.get(0).forEach(t -> tokens.add(t.asInt()));
      out.put(
          tokens + " " + g.get(1).asInt(),
          new double[] {g.get(2).asDouble(), g.get(3).asDouble(), g.get(4).asDouble()});
    }
    return out;
  }

  private static void assertGeneShiftsMatch(
      Map<String, double[]> actual, Map<String, double[]> expected) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach(
        (k, e) -> {
          assertThat(actual.get(k)[0])
              .as("%s mean", k)
              .isCloseTo(e[0], org.assertj.core.data.Offset.offset(TOLERANCE));
          assertThat(actual.get(k)[1])
              .as("%s std", k)
              .isCloseTo(e[1], org.assertj.core.data.Offset.offset(TOLERANCE));
          assertThat(actual.get(k)[2]).as("%s n", k).isEqualTo(e[2]);
        });
  }

  @Test
  void deletingEveryGeneMatchesPyTorchWithGeneShifts(SparkSession spark) throws IOException {
    PerturbResult r =
        PerturbJob.run(
            spark, options("delete", PerturbationType.DELETE).withOutputs(true, null, false));
    assertRowsMatch(rows(spark, r.output(), 0), expectedRows("delete_all_mean", 0), true);
    assertGeneShiftsMatch(geneShifts(spark, r.output()), expectedGeneShifts("delete_all_mean"));
    assertThat(r.cells()).isEqualTo(37);
    assertThat(r.rows()).isEqualTo(372);

    Row first =
        spark
            .read()
            .parquet(r.output() + "/cell_shifts")
            .where("cell_id = 'cell04'")
            .orderBy("cosine_similarity")
            .first();
    assertThat(first.schema().fieldNames())
        .containsExactly(
            "cell_id",
            "perturbed_tokens",
            "perturbed_genes",
            "perturbed_symbols",
            "cosine_similarity");
    int token = first.<Integer>getList(1).get(0);
    String gene =
        String.format("ENSG%011d", token - 3); // the fixture vocabulary: token 4 = ENSG00000000001
    assertThat(first.<String>getList(2)).containsExactly(gene);
    assertThat(first.<String>getList(3)).containsExactly(String.format("SYM%02d", token - 3));
    Row pair = spark.read().parquet(r.output() + "/gene_shifts").first();
    assertThat(pair.schema().fieldNames())
        .containsExactly(
            "perturbed",
            "perturbed_tokens",
            "perturbed_symbols",
            "affected",
            "affected_token",
            "affected_symbol",
            "mean",
            "std",
            "n");

    JsonNode summary =
        new ObjectMapper()
            .readTree(Path.of(java.net.URI.create(r.output())).resolve("_cellspark.json").toFile());
    assertThat(summary.at("/counts/cell_shift_rows").asLong()).isEqualTo(372);
    assertThat(summary.at("/counts/work_units").asInt()).isBetween(37, 372); // at least one a cell
    assertThat(summary.at("/timings/straggler_ratio").asDouble()).isGreaterThanOrEqualTo(1.0);
    assertThat(WorkDir.locate(r.output()).toString())
        .satisfies(w -> assertThat(Path.of(java.net.URI.create(w))).doesNotExist());
  }

  @Test
  void overexpressionWithClsPoolingShiftsTowardStates(SparkSession spark) {
    String states =
        EmbedJob.run(
                spark,
                EmbedOptions.of(v2Tokens, V2_MODEL, tmp.resolve("states-cls").toString())
                    .withPooling(Pooling.CLS, -1)
                    .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false))
            .output();
    PerturbResult r =
        PerturbJob.run(
            spark,
            options("oe", PerturbationType.OVEREXPRESS)
                .withPooling(Pooling.CLS, -1)
                .withStates(
                    PerturbOptions.States.parse("cell_type:start=monocyte,goal=B cell,alt=T cell"),
                    states));
    assertRowsMatch(
        rows(spark, r.output(), 3), expectedRows("overexpress_all_cls_states", 3), true);
    assertThat(spark.read().parquet(r.output() + "/cell_shifts").columns())
        .endsWith("cosine_similarity", "shift_monocyte", "shift_b_cell", "shift_t_cell");
  }

  @Test
  void eachListedGeneIsItsOwnScreenByIdOrSymbol(SparkSession spark) {
    String states =
        EmbedJob.run(
                spark,
                EmbedOptions.of(v2Tokens, V2_MODEL, tmp.resolve("states-mean").toString())
                    .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false))
            .output();
    PerturbResult r =
        PerturbJob.run(
            spark,
            options("each", PerturbationType.DELETE)
                .withGenes(List.of("sym01", "ENSG00000000009", "NOT_A_GENE"), false, null)
                .withStates(
                    PerturbOptions.States.parse("cell_type:start=monocyte,goal=B cell,alt=T cell"),
                    states)
                .withOutputs(true, null, false));
    assertRowsMatch(rows(spark, r.output(), 3), expectedRows("delete_each_mean_states", 3), true);
    assertGeneShiftsMatch(
        geneShifts(spark, r.output()), expectedGeneShifts("delete_each_mean_states"));
    assertThat(r.summary()).extractingByKey("genes").asString().contains("NOT_A_GENE");
  }

  @Test
  void groupOverexpressionInsertsMissingGenes(SparkSession spark) {
    PerturbResult r =
        PerturbJob.run(
            spark,
            options("group", PerturbationType.OVEREXPRESS)
                .withGenes(List.of("ENSG00000000017", "ENSG00000000004"), true, null)
                .withOutputs(true, null, false));
    assertRowsMatch(rows(spark, r.output(), 0), expectedRows("overexpress_group_mean", 0), true);
    assertGeneShiftsMatch(
        geneShifts(spark, r.output()), expectedGeneShifts("overexpress_group_mean"));
  }

  @Test
  void anchorGenePairsAndInhibition(SparkSession spark) {
    PerturbResult anchor =
        PerturbJob.run(
            spark,
            options("anchor", PerturbationType.DELETE).withGenes(List.of("all"), false, "SYM06"));
    assertRowsMatch(rows(spark, anchor.output(), 0), expectedRows("delete_anchor_mean", 0), true);
    PerturbResult inhibit =
        PerturbJob.run(
            spark,
            options("inhibit", PerturbationType.INHIBIT).withType(PerturbationType.INHIBIT, 2));
    assertRowsMatch(rows(spark, inhibit.output(), 0), expectedRows("inhibit_all_mean", 0), true);
  }

  @Test
  void v1ModelAndTokens(SparkSession spark) {
    PerturbResult r =
        PerturbJob.run(
            spark,
            PerturbOptions.of(
                    v1Tokens, V1_MODEL, tmp.resolve("v1").toString(), PerturbationType.DELETE)
                .withOutputs(true, null, false));
    assertRowsMatch(rows(spark, r.output(), 0), expectedRows("v1_delete_all_mean", 0), true);
    assertGeneShiftsMatch(geneShifts(spark, r.output()), expectedGeneShifts("v1_delete_all_mean"));
  }

  /**
   * Runs {@code check} with every perturb task stopping after {@code units} work units (a test
   * hook).
   */
  private static void stopsAfterUnits(SparkSession spark, int units, Runnable check) {
    spark
        .conf()
        .set(org.cellspark.spark.FaultInjection.STOP_PERTURB_AFTER_UNITS, Integer.toString(units));
    try {
      check.run();
    } finally {
      spark.conf().unset(org.cellspark.spark.FaultInjection.STOP_PERTURB_AFTER_UNITS);
    }
  }

  @Test
  void aStoppedScreenResumesToTheSameTable(SparkSession spark) throws IOException {
    Map<String, double[]> whole =
        rows(
            spark,
            PerturbJob.run(
                    spark,
                    options("whole", PerturbationType.DELETE)
                        .withExecution(4096, Precision.FP32, 3))
                .output(),
            0);

    PerturbOptions stopping =
        options("resumed", PerturbationType.DELETE).withExecution(4096, Precision.FP32, 1);
    stopsAfterUnits(
        spark,
        5,
        () ->
            assertThatThrownBy(() -> PerturbJob.run(spark, stopping))
                .hasStackTraceContaining("stopping after 5 work units"));
    Path work =
        Path.of(
            java.net.URI.create(
                WorkDir.locate(tmp.resolve("resumed").toUri().toString()).toString()));
    Path units = work.resolve("units");
    List<Path> files;
    try (Stream<Path> listed = Files.list(units)) {
      files = listed.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
    }
    // The task failed holding five finished units: it wrote them, into one file, not five.
    assertThat(files).hasSize(1);
    List<UnitResult> held;
    try (var in = Files.newInputStream(files.get(0))) {
      held = CheckpointFiles.read(in, files.get(0).toString());
    }
    assertThat(held).hasSize(5);
    assertThat(tmp.resolve("resumed")).doesNotExist(); // nothing that looks like output

    // What an earlier version left (one file per unit) is read too; and a unit two attempts both
    // checkpointed (here: the first two, again) is taken once.
    Files.delete(files.get(0));
    for (UnitResult u : held) {
      try (var out =
          new java.io.DataOutputStream(
              Files.newOutputStream(units.resolve(CheckpointFiles.legacyName(u.unit()))))) {
        u.write(out);
      }
    }
    var local =
        org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
    CheckpointFiles.write(local, new org.apache.hadoop.fs.Path(units.toUri()), held.subList(0, 2));

    PerturbResult resumed = PerturbJob.run(spark, stopping.withExecution(4096, Precision.FP32, 2));
    assertThat(resumed.unitsResumed()).isEqualTo(5);
    assertThat(resumed.rows()).isEqualTo(whole.size());
    Map<String, double[]> again = rows(spark, resumed.output(), 0);
    assertThat(again.keySet()).isEqualTo(whole.keySet());
    whole.forEach(
        (k, v) ->
            assertThat(again.get(k)[0])
                .as(k)
                .isCloseTo(v[0], org.assertj.core.data.Offset.offset(1e-6)));
    assertThat(work).doesNotExist();
  }

  @Test
  void resumeKeepsAFinishedScreenAndReplacesAnotherOnlyWithOverwrite(SparkSession spark)
      throws IOException {
    PerturbResult first = PerturbJob.run(spark, options("again", PerturbationType.DELETE));
    Path summary = tmp.resolve("again").resolve("_cellspark.json");
    String before = Files.readString(summary);
    long modified = Files.getLastModifiedTime(summary).toMillis();
    assertThatThrownBy(() -> PerturbJob.run(spark, options("again", PerturbationType.DELETE)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("already exists; pass --overwrite");

    // Run again as an orchestrator does: the same screen is kept, untouched, without screening.
    PerturbResult kept =
        PerturbJob.run(spark, options("again", PerturbationType.DELETE).withResume(true));
    assertThat(Files.readString(summary)).isEqualTo(before);
    assertThat(Files.getLastModifiedTime(summary).toMillis()).isEqualTo(modified);
    assertThat(kept.rows()).isEqualTo(first.rows());
    assertThat(kept.unitsResumed()).isEqualTo(first.units());
    assertThat(kept.screenSeconds()).isZero();

    // Another screen in the same folder: refused, then replaced with --overwrite.
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark, options("again", PerturbationType.OVEREXPRESS).withResume(true)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds another screen than this one")
        .hasMessageContaining("--overwrite");
    assertThat(Files.readString(summary)).isEqualTo(before);
    PerturbResult replaced =
        PerturbJob.run(
            spark,
            options("again", PerturbationType.OVEREXPRESS)
                .withResume(true)
                .withOutputs(false, null, true));
    assertThat(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(summary.toFile())
                .at("/options/perturbation")
                .asText())
        .isEqualTo("overexpress");
    assertThat(replaced.screenSeconds()).isPositive();
  }

  @Test
  void aDifferentScreenDoesNotReuseCheckpoints(SparkSession spark) {
    PerturbOptions stopping =
        options("x", PerturbationType.DELETE).withExecution(4096, Precision.FP32, 1);
    stopsAfterUnits(
        spark,
        2,
        () ->
            assertThatThrownBy(() -> PerturbJob.run(spark, stopping))
                .hasStackTraceContaining("stopping after 2 work units"));
    assertThatThrownBy(() -> PerturbJob.run(spark, options("x", PerturbationType.OVEREXPRESS)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds the checkpoints of a different screen")
        .hasMessageContaining("delete");
  }

  @Test
  void badRequestsAreNamed(SparkSession spark) {
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("a", PerturbationType.DELETE)
                        .withGenes(List.of("NOPE1", "NOPE2"), false, null)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("none of NOPE1, NOPE2 is in the vocabulary");
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("b", PerturbationType.DELETE).withGenes(List.of("all"), false, "NOPE")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--anchor-gene NOPE is not in the vocabulary");
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("c", PerturbationType.DELETE)
                        .withStates(
                            PerturbOptions.States.parse("cell_type:start=neuron,goal=B cell"),
                            tmp.toString())))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cell_type = neuron");
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("d", PerturbationType.DELETE)
                        .withSelection(
                            null, List.of(CellSelection.Filter.parse("tissue=lung")), 0, 42)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--filter: the token table has no column 'tissue'");
    String meanStates =
        EmbedJob.run(
                spark,
                EmbedOptions.of(v2Tokens, V2_MODEL, tmp.resolve("s").toString())
                    .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false))
            .output();
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("e", PerturbationType.DELETE)
                        .withPooling(Pooling.CLS, -1)
                        .withStates(
                            PerturbOptions.States.parse("cell_type:start=monocyte,goal=B cell"),
                            meanStates)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("were made with mean pooling (this screen: cls)");
    assertThatThrownBy(
            () ->
                PerturbJob.run(
                    spark,
                    options("f", PerturbationType.DELETE)
                        .withStates(
                            PerturbOptions.States.parse("cell_type:start=monocyte,goal=neuron"),
                            meanStates)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no embedding for state 'neuron'");
    assertThat(Stream.of("a", "b", "c", "d", "e", "f").map(tmp::resolve))
        .allSatisfy(p -> assertThat(p).doesNotExist());
  }

  /**
   * Upstream's raw pickle layout, read back with the pickle library: the same values as the tables.
   */
  @Test
  @SuppressWarnings("unchecked")
  void exportsUpstreamsRawPickles(SparkSession spark) throws IOException {
    Path pickles = tmp.resolve("pickles");
    PerturbResult r =
        PerturbJob.run(
            spark,
            options("p", PerturbationType.DELETE).withOutputs(true, pickles.toString(), false));
    Map<Integer, List<Double>> cells = new TreeMap<>();
    Map<String, Integer> genePairs = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(pickles)) {
      files = s.filter(f -> f.getFileName().toString().endsWith("_raw.pickle")).toList();
    }
    assertThat(files)
        .anySatisfy(
            f ->
                assertThat(f.getFileName().toString())
                    .startsWith("in_silico_delete_cellspark_dict_cell_embs_"));
    assertThat(files)
        .anySatisfy(
            f ->
                assertThat(f.getFileName().toString())
                    .startsWith("in_silico_delete_cellspark_dict_gene_embs_"));
    for (Path f : files) {
      Map<Object, Object> dict;
      try (var in = Files.newInputStream(f)) {
        dict = (Map<Object, Object>) new net.razorvine.pickle.Unpickler().load(in);
      }
      dict.forEach(
          (k, v) -> {
            Object[] key = (Object[]) k; // a tuple
            List<Object> values = (List<Object>) v;
            if ("cell_emb".equals(key[1])) {
              values.forEach(
                  x ->
                      cells
                          .computeIfAbsent((Integer) key[0], t -> new ArrayList<>())
                          .add((Double) x));
            } else {
              genePairs.merge("[" + key[0] + "] " + key[1], values.size(), Integer::sum);
            }
          });
    }
    Map<Integer, List<Double>> expected = new TreeMap<>();
    for (Row row : spark.read().parquet(r.output() + "/cell_shifts").collectAsList()) {
      expected
          .computeIfAbsent(row.<Integer>getList(1).get(0), t -> new ArrayList<>())
          .add(row.getDouble(4));
    }
    assertThat(cells.keySet()).isEqualTo(expected.keySet());
    expected.forEach(
        (token, values) ->
            assertThat(cells.get(token)).containsExactlyInAnyOrderElementsOf(values));
    Map<String, Integer> counts = new TreeMap<>();
    geneShifts(spark, r.output()).forEach((k, v) -> counts.put(k, (int) v[2]));
    assertThat(genePairs).isEqualTo(counts);
  }
}
