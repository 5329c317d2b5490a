package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {
  @Test
  void helpListsEveryTokenizeOptionWithItsDefault() {
    CliRun run = CliRun.of("tokenize", "--help");
    assertThat(run.exitCode()).isZero();
    String help = run.out();
    for (String option : new String[] {
        "--input", "--output", "--vocabulary", "--counts", "--gene-id-column", "--model-input-size",
        "--special-tokens", "--attribute", "--n-counts-column", "--filter-pass-column", "--no-filter-pass",
        "--min-gene-match", "--allow-non-integer", "--overwrite", "--partitions", "--conf"}) {
      assertThat(help).as(option).contains(option);
    }
    assertThat(help)
        .contains("Default: X")
        .contains("Default: ensembl_id")
        .contains("Default: 0.5")
        .contains("Default: AUTO")
        .contains("Default: n_counts")
        .contains("Default: filter_pass");
  }

  @Test
  void topLevelHelpListsTheJobs() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("tokenize").contains("demo");
    assertThat(CliRun.of("--version").out()).startsWith("cellspark ");
  }
}
