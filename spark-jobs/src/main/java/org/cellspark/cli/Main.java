package org.cellspark.cli;

import java.io.PrintWriter;
import org.cellspark.error.Causes;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.JobSummary;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cellspark <job> [options]}: the command line, for {@code bin/cellspark} (embedded Spark)
 * and {@code spark-submit --class org.cellspark.cli.Main}. Exit codes: 0 done; 2 a problem with the
 * input or options (the message says what to do); 1 a bug in Cellspark.
 */
@Command(
    name = "cellspark",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Geneformer at atlas scale on Apache Spark.",
    subcommands = {TokenizeCommand.class, EmbedCommand.class, PerturbCommand.class, StatsCommand.class, ClassifyCommand.class, MediansCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  public static final int OK = 0;
  public static final int BUG = 1;
  public static final int USER_ERROR = UserException.EXIT_CODE;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (tests call this; only main exits). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** As {@link #execute(String...)}, printing to the given writers. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
    PrintWriter err = cl.getErr();
    UserException user = UserException.findIn(e);
    if (user != null) {
      err.println("error: " + user.getMessage());
      err.flush();
      return USER_ERROR;
    }
    String tooLittle = memoryBelowSparksMinimum(e);
    if (tooLittle != null) {
      err.println("error: " + tooLittle + " (bin/cellspark: set CELLSPARK_DRIVER_MEMORY, e.g. 4g)");
      err.flush();
      return USER_ERROR;
    }
    if (outOfMemory(e)) {
      err.println("error: the job ran out of memory. Give it more (bin/cellspark: CELLSPARK_DRIVER_MEMORY,"
          + " default 4g; clusters: spark.executor.memory, and spark.executor.memoryOverhead for libtorch),"
          + " or make each task smaller: more --partitions, and a smaller --batch-tokens for embed and perturb."
          + " Spark's log above names the task.");
      err.flush();
      return USER_ERROR;
    }
    if (String.valueOf(e.getMessage()).contains("stopped SparkContext")) {
      // Spark stopped under the job (local mode stops it after an executor's uncaught error):
      // the cause is in Spark's log, not in this exception.
      err.println("error: Spark stopped while the job ran; its log above says why (most often a task ran"
          + " out of memory: give the job more, or use more --partitions).");
      err.flush();
      return BUG;
    }
    err.println("internal error: this is a bug in Cellspark; please report it with the trace below.");
    e.printStackTrace(err);
    err.flush();
    return BUG;
  }

  /** Spark's refusal to start with less memory than it needs (its message says which setting), or null. */
  private static String memoryBelowSparksMinimum(Throwable e) {
    Throwable refusal = Causes.first(e, c -> mentions(c, "[INVALID_DRIVER_MEMORY]", "[INVALID_EXECUTOR_MEMORY]"));
    return refusal == null ? null : refusal.getMessage();
  }

  /**
   * An OutOfMemoryError here, or one reported from an executor: Spark passes remote failures on
   * as text ("java.lang.OutOfMemoryError", YARN's "exceeding memory limits").
   */
  private static boolean outOfMemory(Throwable e) {
    return Causes.first(e, c -> c instanceof OutOfMemoryError || mentions(c, "java.lang.OutOfMemoryError", "exceeding memory limits")) != null;
  }

  private static boolean mentions(Throwable t, String... texts) {
    String message = String.valueOf(t.getMessage());
    return java.util.Arrays.stream(texts).anyMatch(message::contains);
  }

  @Override
  public void run() {
    // "cellspark" alone: show what there is.
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"cellspark " + JobSummary.version()};
    }
  }
}
