package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.JobSummary;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  @Test
  void helpListsEveryTokenizeOptionWithItsDefault() {
    CliRun run = CliRun.of("tokenize", "--help");
    assertThat(run.exitCode()).isZero();
    String help = run.out();
    for (String option :
        new String[] {
          "--input",
          "--output",
          "--vocabulary",
          "--counts",
          "--gene-id-column",
          "--model-input-size",
          "--special-tokens",
          "--attribute",
          "--n-counts-column",
          "--filter-pass-column",
          "--no-filter-pass",
          "--min-gene-match",
          "--allow-non-integer",
          "--overwrite",
          "--partitions",
          "--conf"
        }) {
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
    @CommandLine.Option(names = "--user")
    boolean user;

    @CommandLine.Option(names = "--oom")
    boolean oom;

    @CommandLine.Option(names = "--stopped")
    boolean stopped;

    @CommandLine.Option(names = "--small-heap")
    boolean smallHeap;

    @CommandLine.Option(names = "--assertion")
    boolean assertion;

    @CommandLine.Option(names = "--heap-here")
    boolean heapHere;

    @CommandLine.Option(names = "--user-cause")
    boolean userCause;

    @CommandLine.Option(names = "--bug")
    boolean bug;

    @CommandLine.Option(names = "--cancelled")
    String cancelled;

    @Override
    public Integer call() {
      if (assertion) {
        // What Spark's encoder threw on the driver for an obs struct without fields: an Error.
        throw new AssertionError(
            "assertion failed: each serializer expression should contain at least one"
                + " `BoundReference`");
      }
      if (heapHere) {
        throw new OutOfMemoryError("Java heap space");
      }
      if (userCause) {
        throw new IllegalStateException(
            "Job aborted",
            UserException.because(
                new java.io.EOFException("Unexpected end of ZLIB input stream"),
                "Input x.mtx.gz ends early; copy it again"));
      }
      if (oom) {
        // As Spark reports an executor's: the remote error as text in the job's failure.
        throw new IllegalStateException(
            "Job aborted due to stage failure: Task 3 in stage 2.0 failed 4 times, most recent"
                + " failure: java.lang.OutOfMemoryError: Java heap space");
      }
      if (smallHeap) {
        // Spark's own words when the JVM's heap is below what it needs to start.
        throw new IllegalArgumentException(
            "[INVALID_DRIVER_MEMORY] System memory 419430400 must be at least 471859200. Please"
                + " increase heap size using the --driver-memory option or \"spark.driver.memory\""
                + " in Spark configuration.");
      }
      if (stopped) {
        throw new IllegalStateException("Cannot call methods on a stopped SparkContext.");
      }
      if (cancelled != null) {
        // How the DAGScheduler words a cancelled job group's job, as the driver's call sees it.
        throw new IllegalStateException("Job aborted", new SparkException(cancelled));
      }
      if (bug) {
        // As from an executor: one of Cellspark's own invariants, wrapped in Spark's task failure.
        throw new IllegalStateException(
            "Job aborted",
            org.cellspark.error.Bug.of("row from a file that was not planned: %s", "x.h5ad"));
      }
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
    assertThat(bug.toString())
        .startsWith("internal error: this is a bug in Cellspark")
        .contains("an invariant broke")
        .contains("\tat ");

    // A Bug says, in the first line, which guarantee broke, however deep Spark wrapped it.
    StringWriter invariant = new StringWriter();
    cl.setErr(new PrintWriter(invariant, true));
    assertThat(cl.execute("fail", "--bug")).isEqualTo(1);
    assertThat(invariant.toString().lines().findFirst().orElseThrow())
        .startsWith(
            "internal error: this is a bug in Cellspark (row from a file that was not planned:"
                + " x.h5ad)");
    assertThat(invariant.toString()).contains("\tat ");
  }

  @Test
  void errorsEndAsExitOneWithTheInternalErrorMessage() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine().addSubcommand(new Fail());
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("fail", "--assertion")).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("internal error: this is a bug in Cellspark")
        .contains("java.lang.AssertionError: assertion failed")
        .contains("\tat ");

    // An OutOfMemoryError is an Error too, and keeps its own advice.
    StringWriter heap = new StringWriter();
    cl.setErr(new PrintWriter(heap, true));
    assertThat(cl.execute("fail", "--heap-here")).isEqualTo(2);
    assertThat(heap.toString())
        .startsWith("error: the job ran out of memory")
        .doesNotContain("\tat ");
  }

  /** Spark 3.5's words, and Spark 4.0's with its error class and SQL state, read alike. */
  @Test
  void aCancelledJobEndsWith130AndSparksSentence() {
    for (String words :
        List.of(
            "Job 654 cancelled part of cancelled job group paragraph-1",
            "[SPARK_JOB_CANCELLED] Job 654 cancelled part of cancelled job group paragraph-1"
                + " SQLSTATE: XXKDA")) {
      StringWriter err = new StringWriter();
      CommandLine cl = Main.commandLine().addSubcommand(new Fail());
      cl.setErr(new PrintWriter(err, true));
      assertThat(cl.execute("fail", "--cancelled", words)).as(words).isEqualTo(130);
      assertThat(err.toString())
          .as(words)
          .startsWith(
              "cancelled: Job 654 cancelled part of cancelled job group paragraph-1; no output was"
                  + " written")
          .doesNotContain("\tat ");
    }
  }

  @Test
  void verboseShowsWhatLiesUnderARefusal() {
    StringWriter plain = new StringWriter();
    CommandLine cl = Main.commandLine().addSubcommand(new Fail());
    cl.setErr(new PrintWriter(plain, true));
    assertThat(cl.execute("fail", "--user-cause")).isEqualTo(2);
    assertThat(plain.toString())
        .isEqualTo("error: Input x.mtx.gz ends early; copy it again" + System.lineSeparator());

    StringWriter verbose = new StringWriter();
    cl.setErr(new PrintWriter(verbose, true));
    assertThat(cl.execute("fail", "--user-cause", "--verbose")).isEqualTo(2);
    assertThat(verbose.toString())
        .startsWith("error: Input x.mtx.gz ends early; copy it again")
        .contains("  because: java.io.EOFException: Unexpected end of ZLIB input stream")
        .doesNotContain("\tat ");
  }

  @Test
  void runningOutOfMemoryIsNotReportedAsABug() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine().addSubcommand(new Fail());
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("fail", "--oom")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("error: the job ran out of memory")
        .contains("CELLSPARK_DRIVER_MEMORY")
        .contains("spark.executor.memory")
        .contains("--partitions")
        .doesNotContain("\tat ");

    StringWriter small = new StringWriter();
    cl.setErr(new PrintWriter(small, true));
    assertThat(cl.execute("fail", "--small-heap")).isEqualTo(2);
    assertThat(small.toString())
        .startsWith("error: [INVALID_DRIVER_MEMORY] System memory 419430400 must be at least")
        .contains("CELLSPARK_DRIVER_MEMORY")
        .doesNotContain("\tat ");

    StringWriter stopped = new StringWriter();
    cl.setErr(new PrintWriter(stopped, true));
    assertThat(cl.execute("fail", "--stopped")).isEqualTo(1);
    assertThat(stopped.toString())
        .startsWith("error: Spark stopped while the job ran; Spark's log (the driver's) says why")
        .doesNotContain("bug");
  }

  @Test
  void topLevelHelpListsTheJobs() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("tokenize").contains("demo");
  }

  /**
   * --version, and every output's _cellspark.json, name the version the POM gives (they said "dev"
   * in every build: the version was read from a jar manifest that never held it).
   */
  @Test
  void versionIsThePomsVersion() {
    String pom = System.getProperty("pom.version");
    assertThat(pom).as("the POM's version, from the build").isNotBlank();
    assertThat(CliRun.of("--version").out().strip()).isEqualTo("cellspark " + pom);
    assertThat(new JobSummary("tokenize").asMap()).containsEntry("cellspark_version", pom);
  }

  /**
   * `cellspark --help` lists each command with the first paragraph of its description, so that
   * paragraph must say what the command does in whole sentences (it once ended mid-phrase: "stats
   * ... as Geneformer's InSilicoPerturberStats:", "classify ... with train /").
   */
  @Test
  void theCommandListShowsEachCommandInAWholeSentence() {
    for (Map.Entry<String, CommandLine> e : Main.commandLine().getSubcommands().entrySet()) {
      for (CommandLine command : withSubcommands(e.getValue())) {
        // picocli lists a command by its header when it has one (its own help command does).
        String[] header = command.getCommandSpec().usageMessage().header();
        String[] summary =
            header.length > 0 ? header : command.getCommandSpec().usageMessage().description();
        assertThat(summary).as(command.getCommandName()).isNotEmpty();
        assertThat(summary[0])
            .as("the summary of %s", command.getCommandSpec().qualifiedName())
            .matches("[A-Z].*[.)]")
            .doesNotEndWith(":");
        // picocli ends a line after each element of a description: an element is a paragraph,
        // never a line of the source (demo's help broke mid-sentence: "the model: a tiny").
        for (String paragraph : command.getCommandSpec().usageMessage().description()) {
          assertThat(paragraph)
              .as("a paragraph of %s's description", command.getCommandSpec().qualifiedName())
              .matches("(?s).*[.):](%n)?");
        }
      }
    }
    String list = CliRun.of("--help").out();
    assertThat(list).contains("as Geneformer's").doesNotContain("InSilicoPerturberStats:");
  }

  private static List<CommandLine> withSubcommands(CommandLine command) {
    List<CommandLine> all = new ArrayList<>(List.of(command));
    for (CommandLine sub : command.getSubcommands().values()) {
      all.addAll(withSubcommands(sub));
    }
    return all;
  }

  /**
   * Every command's help renders as written: picocli formats descriptions as format strings, and a
   * lone '%' (as in "15%") makes it print a warning and the raw text instead.
   */
  @Test
  void everyCommandsHelpRendersWithoutWarnings() {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      CommandLine cli = Main.commandLine();
      assertThat(cli.getSubcommands()).containsKeys("pretrain", "finetune-genes", "tokenize");
      for (CommandLine command : cli.getSubcommands().values()) {
        assertThat(command.getUsageMessage()).contains("Usage: cellspark");
      }
    } finally {
      System.setErr(err);
    }
    assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8))
        .doesNotContain("picocli WARN");
  }
}
