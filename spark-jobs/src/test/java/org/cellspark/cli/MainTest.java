package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

  @CommandLine.Command(name = "fail")
  static final class Fail implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Option(names = "--user") boolean user;

    @Override
    public Integer call() {
      if (user) {
        // As from an executor: the user's error arrives wrapped in Spark's task failure.
        throw new IllegalStateException("Job aborted", new UserException("Input x.h5ad: bad"));
      }
      throw new IllegalStateException("an invariant broke");
    }
  }

  @Test
  void mapsUserErrorsToTwoAndBugsToOne() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine().addSubcommand(new Fail());
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("fail", "--user")).isEqualTo(2);
    assertThat(err.toString()).isEqualTo("error: Input x.h5ad: bad" + System.lineSeparator());

    StringWriter bug = new StringWriter();
    cl.setErr(new PrintWriter(bug, true));
    assertThat(cl.execute("fail")).isEqualTo(1);
    assertThat(bug.toString()).startsWith("internal error: this is a bug in Cellspark")
        .contains("an invariant broke").contains("\tat ");
  }

  @Test
  void topLevelHelpListsTheJobs() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("tokenize").contains("demo");
    assertThat(CliRun.of("--version").out()).startsWith("cellspark ");
  }
}
