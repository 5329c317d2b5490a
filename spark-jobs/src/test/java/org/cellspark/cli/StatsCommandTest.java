package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class StatsCommandTest {
  @TempDir Path tmp;

  @Test
  void screenThenStatistics() throws java.io.IOException {
    String tokens = tmp.resolve("tokens").toString();
    CliRun t =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.atlas("csr_int32_lzf.h5ad").toString(),
            "--vocabulary",
            Fixtures.vocab("vocab-v2-small").toString(),
            "--attribute",
            "cell_type",
            "--output",
            tokens);
    assertThat(t.exitCode()).as(t.err()).isZero();
    String screen = tmp.resolve("screen").toString();
    CliRun p =
        CliRun.of(
            "perturb",
            "--input",
            tokens,
            "--model",
            Fixtures.vocab("models/tiny-v2").toString(),
            "--output",
            screen,
            "--perturbation",
            "delete",
            "--filter",
            "cell_type=monocyte",
            "--gene-shifts");
    assertThat(p.exitCode()).as(p.err()).isZero();
    CliRun s =
        CliRun.of(
            "stats",
            "--input",
            screen,
            "--output",
            tmp.resolve("stats").toString(),
            "--mode",
            "aggregate-gene-shifts");
    assertThat(s.exitCode()).as(s.err()).isZero();
    assertThat(s.out()).contains("aggregate-gene-shifts:").contains("aggregate_gene_shifts.csv");
    assertThat(Files.readAllLines(tmp.resolve("stats/aggregate_gene_shifts.csv")).get(0))
        .isEqualTo(
            "Perturbed,Gene_name,Ensembl_ID,Affected,Affected_gene_name,Affected_Ensembl_ID,Cosine_sim_mean,Cosine_sim_stdev,N_Detections");

    // The same output again: refused (exit 2), the first output untouched.
    CliRun again =
        CliRun.of(
            "stats",
            "--input",
            screen,
            "--output",
            tmp.resolve("stats").toString(),
            "--mode",
            "mixture-model");
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("already exists").contains("--overwrite");
    // A screen without states cannot give goal-state shifts; no output is left behind.
    CliRun goal =
        CliRun.of(
            "stats",
            "--input",
            screen,
            "--output",
            tmp.resolve("goal").toString(),
            "--mode",
            "goal-state-shift");
    assertThat(goal.exitCode()).isEqualTo(2);
    assertThat(goal.err()).contains("needs a screen run with --states");
    assertThat(tmp.resolve("goal")).doesNotExist();
  }

  @Test
  void badOptionsAreUsageErrors() {
    CliRun mode =
        CliRun.of(
            "stats", "--input", "x", "--output", tmp.resolve("o").toString(), "--mode", "t-test");
    assertThat(mode.exitCode()).isEqualTo(2);
    assertThat(mode.err())
        .contains("'t-test' is not one of goal-state-shift, vs-null, mixture-model");
    CliRun vs =
        CliRun.of(
            "stats",
            "--input",
            "x",
            "--output",
            tmp.resolve("o").toString(),
            "--mode",
            "vs-null",
            "--fdr",
            "2");
    assertThat(vs.exitCode()).isEqualTo(2);
    assertThat(vs.err()).contains("needs --null").contains("--fdr must be in (0, 1]");
    CliRun help = CliRun.of("stats", "--help");
    assertThat(help.out())
        .contains("--null-pool-size")
        .contains("[mode]")
        .contains("Default: 100000");
  }
}
