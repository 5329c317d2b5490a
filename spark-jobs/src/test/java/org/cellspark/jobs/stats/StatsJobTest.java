package org.cellspark.jobs.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `cellspark stats` end to end: real screens of the fixture atlas (the ones PerturbJobTest checks
 * against PyTorch), then every mode, against tables computed by
 * src/test/python/make_stats_reference.py with SciPy / statsmodels / scikit-learn from the PyTorch
 * reference values of those screens, in upstream's row order.
 */
@ExtendWith(SharedSpark.class)
class StatsJobTest {
  /** The screens' values match PyTorch to ~1e-6; what is derived from them, to this. */
  private static final double VALUE = 1e-4;

  @TempDir static Path shared;
  @TempDir Path tmp;
  private static JsonNode expected;
  private static String deleteAll;
  private static String deleteBCells;
  private static String deleteOthers;
  private static String overexpressStates;
  private static String eachListed;
  private static String group;
  private static final String STATES = "cell_type:start=monocyte,goal=B cell,alt=T cell";

  @BeforeAll
  static void screens(SparkSession spark) throws IOException {
    expected = new ObjectMapper().readTree(Fixtures.stats("tests.json").toFile()).get("jobs");
    String tokens = shared.resolve("tokens").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(Fixtures.atlas("csr_float32_gzip.h5ad").toString())
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .attribute("cell_type")
            .output(tokens)
            .build());
    String model = Fixtures.vocab("models/tiny-v2").toString();
    String clsStates =
        EmbedJob.run(
                spark,
                EmbedOptions.of(tokens, model, shared.resolve("states-cls").toString())
                    .withPooling(Pooling.CLS, -1)
                    .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false))
            .output();
    String meanStates =
        EmbedJob.run(
                spark,
                EmbedOptions.of(tokens, model, shared.resolve("states-mean").toString())
                    .withOutputs(false, EmbedOptions.Summary.MEAN, "cell_type", false))
            .output();
    deleteAll =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens, model, shared.resolve("delete").toString(), PerturbationType.DELETE)
                    .withOutputs(true, null, false))
            .output();
    deleteBCells =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens,
                        model,
                        shared.resolve("delete-b").toString(),
                        PerturbationType.DELETE)
                    .withSelection(
                        null, List.of(CellSelection.Filter.parse("cell_type=B cell")), 0, 42))
            .output();
    deleteOthers =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens,
                        model,
                        shared.resolve("delete-mt").toString(),
                        PerturbationType.DELETE)
                    .withSelection(
                        null,
                        List.of(CellSelection.Filter.parse("cell_type=monocyte,T cell")),
                        0,
                        42))
            .output();
    overexpressStates =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens,
                        model,
                        shared.resolve("oe").toString(),
                        PerturbationType.OVEREXPRESS)
                    .withPooling(Pooling.CLS, -1)
                    .withStates(PerturbOptions.States.parse(STATES), clsStates))
            .output();
    eachListed =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens, model, shared.resolve("each").toString(), PerturbationType.DELETE)
                    .withGenes(List.of("sym01", "ENSG00000000009"), false, null)
                    .withStates(PerturbOptions.States.parse(STATES), meanStates))
            .output();
    group =
        PerturbJob.run(
                spark,
                PerturbOptions.of(
                        tokens,
                        model,
                        shared.resolve("group").toString(),
                        PerturbationType.OVEREXPRESS)
                    .withGenes(List.of("ENSG00000000017", "ENSG00000000004"), true, null))
            .output();
  }

  private StatsResult run(SparkSession spark, String input, StatsMode mode) {
    return StatsJob.run(
        spark, StatsOptions.of(input, tmp.resolve(mode.tableName()).toString(), mode));
  }

  /** The Parquet table in its order: part files by name (as pandas and pyarrow read them). */
  private static List<Row> table(SparkSession spark, StatsResult r) throws IOException {
    List<Row> out = new ArrayList<>();
    try (Stream<Path> parts =
        Files.list(Path.of(java.net.URI.create(r.output())).resolve(r.table()))) {
      for (Path part :
          parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        out.addAll(spark.read().parquet(part.toString()).collectAsList());
      }
    }
    return out;
  }

  /** The CSV's header and rows, split on commas (no field here holds one). */
  private static List<String[]> csv(StatsResult r) throws IOException {
    Path file = Path.of(java.net.URI.create(r.output())).resolve(r.table() + ".csv");
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .map(l -> l.split(",", -1))
        .toList();
  }

  private static void assertValue(double actual, JsonNode expectedValue, String what) {
    assertThat(actual).as(what).isCloseTo(expectedValue.asDouble(), within(VALUE));
  }

  /** p-values and FDRs: relative, since they span many orders of magnitude. */
  private static void assertP(double actual, JsonNode expectedValue, String what) {
    double e = expectedValue.asDouble();
    assertThat(Math.abs(actual - e) / Math.max(e, 1e-300))
        .as("%s: %s vs %s", what, actual, e)
        .isLessThan(1e-3);
  }

  @Test
  void goalStateShiftOfEveryGeneMatchesScipyAndStatsmodels(SparkSession spark) throws IOException {
    StatsResult r = run(spark, overexpressStates, StatsMode.GOAL_STATE_SHIFT);
    List<Row> rows = table(spark, r);
    JsonNode e = expected.get("goal_state_shift_all");
    assertThat(rows).hasSize(e.size());
    for (int i = 0; i < rows.size(); i++) {
      Row a = rows.get(i);
      JsonNode x = e.get(i);
      assertThat(a.<String>getAs("Gene")).as("row %d", i).isEqualTo(x.get("Gene").asText());
      assertValue(a.getAs("Shift_to_goal_end"), x.get("Shift_to_goal_end"), "goal shift " + i);
      assertValue(
          a.getAs("Shift_to_alt_end_T cell"), x.get("Shift_to_alt_end_1"), "alt shift " + i);
      assertP(a.getAs("Goal_end_vs_random_pval"), x.get("pval_0"), "goal p " + i);
      assertP(a.getAs("Alt_end_vs_random_pval_T cell"), x.get("pval_1"), "alt p " + i);
      assertP(a.getAs("Goal_end_FDR"), x.get("fdr_0"), "goal fdr " + i);
      assertP(a.getAs("Alt_end_FDR_T cell"), x.get("fdr_1"), "alt fdr " + i);
      assertThat(a.<Long>getAs("N_Detections")).isEqualTo(x.get("N_Detections").asLong());
      assertThat(a.<Integer>getAs("Sig")).isEqualTo(x.get("Sig").asInt());
    }
    List<String[]> csv = csv(r);
    assertThat(csv.get(0))
        .containsExactly(
            "Gene",
            "Gene_name",
            "Ensembl_ID",
            "Shift_to_goal_end",
            "Shift_to_alt_end_T cell",
            "Goal_end_vs_random_pval",
            "Alt_end_vs_random_pval_T cell",
            "Goal_end_FDR",
            "Alt_end_FDR_T cell",
            "N_Detections",
            "Sig");
    assertThat(csv).hasSize(rows.size() + 1);
    for (int i = 0; i < rows.size(); i++) {
      String token = rows.get(i).getAs("Gene");
      JsonNode names = expected.get("names").get(token);
      assertThat(csv.get(i + 1)[0]).isEqualTo(token);
      assertThat(csv.get(i + 1)[1]).isEqualTo(names.get(1).asText());
      assertThat(csv.get(i + 1)[2]).isEqualTo(names.get(0).asText());
      assertThat(Double.parseDouble(csv.get(i + 1)[5]))
          .isEqualTo(rows.get(i).<Double>getAs("Goal_end_vs_random_pval"));
    }
    assertThat(r.summary()).extractingByKey("details").asString().contains("pool_sampled=false");

    // A looser threshold: Sig follows the FDR, and significant genes come first.
    List<Row> loose =
        table(
            spark,
            StatsJob.run(
                spark,
                StatsOptions.of(
                        overexpressStates,
                        tmp.resolve("loose").toString(),
                        StatsMode.GOAL_STATE_SHIFT)
                    .withFdr(0.5)));
    assertThat(loose.stream().filter(x -> x.<Integer>getAs("Sig") == 1)).isNotEmpty();
    for (int i = 0; i < loose.size(); i++) {
      Row a = loose.get(i);
      assertThat(a.<Integer>getAs("Sig")).isEqualTo(a.<Double>getAs("Goal_end_FDR") < 0.5 ? 1 : 0);
      if (i > 0) {
        assertThat(a.<Integer>getAs("Sig"))
            .isLessThanOrEqualTo(loose.get(i - 1).<Integer>getAs("Sig"));
      }
    }
  }

  @Test
  void goalStateShiftOfAGeneListGivesMeansOnly(SparkSession spark) throws IOException {
    List<Row> rows = table(spark, run(spark, eachListed, StatsMode.GOAL_STATE_SHIFT));
    JsonNode e = expected.get("goal_state_shift_list");
    assertThat(rows).hasSize(e.size());
    assertThat(rows.get(0).schema().fieldNames())
        .containsExactly(
            "Gene",
            "Gene_name",
            "Ensembl_ID",
            "Shift_to_goal_end",
            "Shift_to_alt_end_T cell",
            "N_Detections");
    for (int i = 0; i < rows.size(); i++) {
      assertThat(rows.get(i).<String>getAs("Gene")).isEqualTo(e.get(i).get("Gene").asText());
      assertValue(
          rows.get(i).getAs("Shift_to_goal_end"), e.get(i).get("Shift_to_goal_end"), "goal shift");
      assertThat(rows.get(i).<Long>getAs("N_Detections"))
          .isEqualTo(e.get(i).get("N_Detections").asLong());
    }
  }

  @Test
  void sampledPoolIsDeterministic(SparkSession spark) throws IOException {
    StatsOptions o =
        StatsOptions.of(overexpressStates, tmp.resolve("a").toString(), StatsMode.GOAL_STATE_SHIFT)
            .withPool(40, 7);
    StatsResult a = StatsJob.run(spark, o);
    StatsResult b =
        StatsJob.run(
            spark,
            StatsOptions.of(
                    overexpressStates, tmp.resolve("b").toString(), StatsMode.GOAL_STATE_SHIFT)
                .withPool(40, 7));
    assertThat(table(spark, a)).isEqualTo(table(spark, b));
    assertThat(a.summary())
        .extractingByKey("details")
        .asString()
        .contains("pool_values=40", "pool_sampled=true");
    StatsResult full = run(spark, overexpressStates, StatsMode.GOAL_STATE_SHIFT);
    assertThat(
            table(spark, a).stream().map(x -> x.<Double>getAs("Goal_end_vs_random_pval")).toList())
        .isNotEqualTo(
            table(spark, full).stream()
                .map(x -> x.<Double>getAs("Goal_end_vs_random_pval"))
                .toList());
  }

  @Test
  void mixtureModelMatchesScikitLearn(SparkSession spark) throws IOException {
    StatsResult r = run(spark, deleteAll, StatsMode.MIXTURE_MODEL);
    List<Row> rows = table(spark, r);
    JsonNode e = expected.get("mixture_model");
    assertThat(rows).hasSize(e.size());
    for (int i = 0; i < rows.size(); i++) {
      Row a = rows.get(i);
      assertThat(a.<String>getAs("Gene")).as("row %d", i).isEqualTo(e.get(i).get("Gene").asText());
      assertValue(a.getAs("Test_avg_shift"), e.get(i).get("Test_avg_shift"), "mean");
      assertThat(a.<Integer>getAs("Impact_component"))
          .isEqualTo(e.get(i).get("Impact_component").asInt());
      assertValue(
          a.getAs("Impact_component_percent"), e.get(i).get("Impact_component_percent"), "percent");
      assertThat(a.<Long>getAs("N_Detections")).isEqualTo(e.get(i).get("N_Detections").asLong());
    }
    assertThat(rows.stream().map(x -> x.<Integer>getAs("Impact_component")).distinct())
        .containsExactlyInAnyOrder(0, 1);
    assertThat(r.summary()).extractingByKey("details").asString().contains("converged=true");
  }

  @Test
  void vsNullMatchesScipyAndStatsmodels(SparkSession spark) throws IOException {
    StatsResult r =
        StatsJob.run(
            spark, StatsOptions.vsNull(deleteBCells, deleteOthers, tmp.resolve("vs").toString()));
    List<Row> rows = table(spark, r);
    JsonNode e = expected.get("vs_null");
    assertThat(rows).hasSize(e.size());
    for (int i = 0; i < rows.size(); i++) {
      Row a = rows.get(i);
      JsonNode x = e.get(i);
      assertThat(a.<String>getAs("Gene")).as("row %d", i).isEqualTo(x.get("Gene").asText());
      assertValue(a.getAs("Test_avg_shift"), x.get("Test_avg_shift"), "test mean");
      if (x.get("N_Detections_null").asInt() > 0) {
        assertValue(a.getAs("Null_avg_shift"), x.get("Null_avg_shift"), "null mean");
      } else {
        assertThat(a.<Double>getAs("Null_avg_shift")).isNaN();
      }
      assertP(a.getAs("Test_vs_null_pval"), x.get("Test_vs_null_pval"), "p " + i);
      assertP(a.getAs("Test_vs_null_FDR"), x.get("Test_vs_null_FDR"), "fdr " + i);
      assertThat(a.<Long>getAs("N_Detections_test")).isEqualTo(x.get("N_Detections_test").asLong());
      assertThat(a.<Long>getAs("N_Detections_null")).isEqualTo(x.get("N_Detections_null").asLong());
      assertThat(a.<Integer>getAs("Sig")).isEqualTo(x.get("Sig").asInt());
    }
  }

  @Test
  void aggregateGeneShiftsPutsCellEmbeddingsFirst(SparkSession spark) throws IOException {
    List<Row> rows = table(spark, run(spark, deleteAll, StatsMode.AGGREGATE_GENE_SHIFTS));
    JsonNode e = expected.get("aggregate_gene_shifts");
    assertThat(rows).hasSize(e.size());
    for (int i = 0; i < rows.size(); i++) {
      Row a = rows.get(i);
      JsonNode x = e.get(i);
      assertThat(a.<String>getAs("Perturbed") + " " + a.getAs("Affected"))
          .as("row %d", i)
          .isEqualTo(x.get("Perturbed").asText() + " " + x.get("Affected").asText());
      assertValue(a.getAs("Cosine_sim_mean"), x.get("Cosine_sim_mean"), "mean " + i);
      assertValue(a.getAs("Cosine_sim_stdev"), x.get("Cosine_sim_stdev"), "std " + i);
      assertThat(a.<Long>getAs("N_Detections")).isEqualTo(x.get("N_Detections").asLong());
    }
  }

  @Test
  void aggregateDataListsEveryPerturbedCell(SparkSession spark) throws IOException {
    StatsResult r = run(spark, group, StatsMode.AGGREGATE_DATA);
    List<Row> rows = table(spark, r);
    JsonNode e = expected.get("aggregate_data");
    assertThat(rows).hasSize(e.size());
    for (int i = 0; i < rows.size(); i++) {
      assertThat(rows.get(i).<String>getAs("cell_id")).isEqualTo(e.get(i).get("cell_id").asText());
      assertThat(rows.get(i).<String>getAs("Gene")).isEqualTo(e.get(i).get("Gene").asText());
      assertValue(rows.get(i).getAs("Cosine_sim"), e.get(i).get("Cosine_sim"), "cosine");
    }
    assertThat(csv(r).get(0)).containsExactly("Cosine_sim", "Gene", "cell_id");
  }

  @Test
  void wrongScreensAreRefusedWithWhatToDo(SparkSession spark) throws IOException {
    assertThatThrownBy(() -> run(spark, deleteAll, StatsMode.GOAL_STATE_SHIFT))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("needs a screen run with --states")
        .hasMessageContaining(deleteAll);
    assertThatThrownBy(() -> run(spark, group, StatsMode.MIXTURE_MODEL))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--genes all");
    assertThatThrownBy(() -> run(spark, deleteAll, StatsMode.AGGREGATE_DATA))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("gene-list screen");
    assertThatThrownBy(() -> run(spark, overexpressStates, StatsMode.AGGREGATE_GENE_SHIFTS))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--gene-shifts");
    assertThatThrownBy(
            () ->
                StatsJob.run(
                    spark, StatsOptions.vsNull(deleteAll, group, tmp.resolve("x").toString())))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("same perturbation")
        .hasMessageContaining("'overexpress'");
    assertThatThrownBy(
            () -> StatsOptions.of(deleteAll, tmp.resolve("y").toString(), StatsMode.VS_NULL))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--null");
    assertThatThrownBy(() -> run(spark, tmp.resolve("nothing").toString(), StatsMode.MIXTURE_MODEL))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not exist");
    // A folder that is not a finished screen: the token table, and a screen without its summary.
    Path copy = tmp.resolve("unfinished");
    copyTree(Path.of(java.net.URI.create(deleteAll)), copy);
    Files.delete(copy.resolve("_cellspark.json"));
    assertThatThrownBy(() -> run(spark, copy.toString(), StatsMode.MIXTURE_MODEL))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("not the output of a finished cellspark perturb run");
    assertThatThrownBy(
            () -> run(spark, shared.resolve("tokens").toString(), StatsMode.MIXTURE_MODEL))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cellspark tokenize, not cellspark perturb");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString()).filter(n -> !n.equals("unfinished")))
          .isEmpty();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(from)) {
      s.forEach(all::add);
    }
    for (Path p : all) {
      Path t = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(t);
      } else {
        Files.copy(p, t);
      }
    }
  }
}
