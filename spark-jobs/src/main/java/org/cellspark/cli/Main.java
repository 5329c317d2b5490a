package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.function.Consumer;
import org.cellspark.error.Bug;
import org.cellspark.error.Causes;
import org.cellspark.error.UserException;
import org.cellspark.files.FileNameEncoding;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.spark.SparkSessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cellspark <job> [options]}: the command line, for {@code bin/cellspark} (embedded Spark)
 * and {@code spark-submit --class org.cellspark.cli.Main}. Exit codes: 0 done; 2 a problem with the
 * input or options (the message says what to do); 1 a bug in Cellspark; 130 cancelled (a notebook's
 * cancel, or whoever holds the session cancelling its jobs), as an interrupted program exits.
 */
@Command(
    name = "cellspark",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Geneformer at atlas scale on Apache Spark.",
    subcommands = {
      TokenizeCommand.class,
      EmbedCommand.class,
      PerturbCommand.class,
      StatsCommand.class,
      ClassifyCommand.class,
      PlotCommand.class,
      MediansCommand.class,
      CheckModelCommand.class,
      FinetuneCommand.class,
      FinetuneGenesCommand.class,
      FinetuneMultitaskCommand.class,
      PretrainCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  public static final int OK = 0;
  public static final int BUG = 1;
  public static final int USER_ERROR = UserException.EXIT_CODE;
  public static final int CANCELLED = 130;

  /**
   * How Spark's DAGScheduler words a job it cancelled (a job group's, a tag's, all jobs'): "Job 3
   * cancelled part of cancelled job group paragraph-1"; Spark 4 adds its error class before and its
   * SQL state after ("[SPARK_JOB_CANCELLED] Job 3 cancelled ... SQLSTATE: XXKDA"). Group 1 is the
   * sentence alone.
   */
  private static final java.util.regex.Pattern CANCELLED_JOB =
      java.util.regex.Pattern.compile(
          "^(?:\\[SPARK_JOB_CANCELLED\\] )?(Job \\d+ cancelled\\b.*?)(?: SQLSTATE: \\w+)?$",
          java.util.regex.Pattern.DOTALL);

  /** The run's log file (bin/cellspark sets it; conf/log4j2.properties writes there). */
  static final String LOG_FILE_PROPERTY = "cellspark.log.file";

  /** Lines for the log file only; the console appender drops them. */
  static final Marker LOG_ONLY = MarkerFactory.getMarker("LOG_ONLY");

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Every command takes it (inherited): a refusal then also prints what went wrong underneath. */
  @CommandLine.Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "With an error, also print its underlying causes (the log file always has them).")
  boolean verbose;

  /** Whether {@code --verbose} was given, on the command or on its subcommand. */
  private static boolean verbose(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed;
        p != null;
        p = p.hasSubcommand() ? p.subcommand() : null) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The Spark setting spark-submit gives the driver JVM (as a system property) for its deploy mode.
   */
  static final String DEPLOY_MODE = "spark.submit.deployMode";

  /**
   * The process's entry point. In a cluster deploy mode (spark-submit {@code --deploy-mode
   * cluster}: YARN's ApplicationMaster, Kubernetes, standalone) the driver runs inside the
   * platform's own launcher, which calls this method in a thread and judges the application by how
   * the method ends: YARN's ApplicationMaster marks an application whose JVM exits before main
   * returns as failed (and runs it again), whatever the exit code. So does a JVM whose host already
   * runs Spark when it calls this method (a Databricks JAR task's driver, a notebook calling main):
   * the JVM and its context are the host's, and exiting would end them (Databricks asks JAR tasks
   * never to call System.exit). There a success returns and a failure throws {@link
   * CommandFailedException}. Everywhere else (bin/cellspark, client mode: no context before main)
   * the process exits with the command's code: 0 done, 2 the input or options, 1 a bug.
   */
  public static void main(String[] args) {
    if ("cluster".equals(System.getProperty(DEPLOY_MODE)) || SparkSessionFactory.contextRunning()) {
      runAsClusterDriver(args);
      return;
    }
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (tests call this; only main exits). */
  public static int execute(String... args) {
    return commandLine(new LastFailure()).execute(args);
  }

  /** As {@link #execute(String...)}, printing to the given writers. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine(new LastFailure());
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  /**
   * As a cluster driver: returns when the command succeeded; otherwise throws, so that the platform
   * records the failure with the command's one-line message (and a bug's trace).
   */
  static void runAsClusterDriver(String... args) {
    runAsClusterDriver(cl -> {}, args);
  }

  /** As {@link #runAsClusterDriver(String...)}, with {@code extend} adding commands (tests). */
  static void runAsClusterDriver(Consumer<CommandLine> extend, String... args) {
    LastFailure last = new LastFailure();
    CommandLine cl = commandLine(last);
    extend.accept(cl);
    int code = cl.execute(args);
    if (code == OK) {
      return;
    }
    if (last.failure == null) { // picocli's own usage errors: it printed the message and the usage
      throw new CommandFailedException(
          code, "error: the command line was refused (exit code " + code + "); see above", null);
    }
    throw new CommandFailedException(
        code, last.failure.message(), last.failure.trace() ? last.cause : null);
  }

  static CommandLine commandLine() {
    return commandLine(new LastFailure());
  }

  private static CommandLine commandLine(LastFailure last) {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (e, command, parsed) -> last.handle(e, command.getErr(), verbose(parsed)));
    cl.setExecutionStrategy(parsed -> runCatchingErrors(parsed, last));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /**
   * How the command that failed failed (for a cluster driver's exception), set by {@link #handle}.
   */
  private static final class LastFailure {
    private Failure failure;
    private Throwable cause;

    int handle(Throwable e, PrintWriter err, boolean verbose) {
      failure = classify(e);
      cause = e;
      return Main.handle(failure, e, err, verbose);
    }
  }

  /**
   * Runs the chosen command. picocli hands only Exceptions to the handler and lets an Error (an
   * AssertionError inside Spark, a StackOverflowError, an OutOfMemoryError on the driver) escape as
   * a raw trace and "Exception in thread main"; every Throwable is told the same way here.
   */
  private static int runCatchingErrors(CommandLine.ParseResult parsed, LastFailure last) {
    try {
      for (String arg : parsed.originalArgs()) {
        FileNameEncoding.requireReadable("The argument", arg);
      }
      return new CommandLine.RunLast().execute(parsed);
    } catch (UserException e) { // from the check above; the command's own come wrapped
      return last.handle(e, parsed.commandSpec().commandLine().getErr(), verbose(parsed));
    } catch (Error e) {
      return last.handle(e, parsed.commandSpec().commandLine().getErr(), verbose(parsed));
    }
  }

  /**
   * How a failed run ends: its exit code, the message for the console, and whether the trace
   * follows it.
   */
  private record Failure(int exitCode, String message, boolean trace) {}

  /**
   * Prints one message for a failed run (and the trace only for a bug, for the report), and records
   * the whole failure with its trace in the run's log file, where there is one.
   */
  private static int handle(Failure f, Throwable e, PrintWriter err, boolean verbose) {
    // Cellspark's log configuration (bin/cellspark's) sends the record to the run's log file and
    // keeps it off the console (marker LOG_ONLY). Under spark-submit without it, Spark's or the
    // cluster's configuration would print the record, trace and all, on the console just above
    // the message it repeats: a refusal would look like a crash.
    if (System.getProperty(LOG_FILE_PROPERTY) != null) {
      LOG.error(LOG_ONLY, "exit {}: {}", f.exitCode(), f.message(), e);
    }
    err.println(f.message());
    if (f.trace()) {
      e.printStackTrace(err);
    } else if (verbose) {
      UserException user = UserException.findIn(e);
      for (Throwable c = user == null ? null : user.getCause();
          c != null && c != c.getCause();
          c = c.getCause()) {
        err.println("  because: " + c);
      }
    }
    err.flush();
    return f.exitCode();
  }

  private static Failure classify(Throwable e) {
    UserException user = UserException.findIn(e);
    if (user != null) {
      return new Failure(USER_ERROR, "error: " + user.getMessage(), false);
    }
    Bug bug = Bug.findIn(e);
    if (bug != null) { // Cellspark's own code found one of its guarantees broken: say which
      return new Failure(
          BUG,
          "internal error: this is a bug in Cellspark ("
              + bug.getMessage()
              + "); please report it"
              + " with the trace below and "
              + log()
              + ".",
          true);
    }
    String cancelled = cancelled(e);
    if (cancelled != null) {
      return new Failure(
          CANCELLED,
          "cancelled: "
              + cancelled
              + "; no output was written (a training keeps its epoch states: run the command"
              + " again to resume it)",
          false);
    }
    String tooLittle = memoryBelowSparksMinimum(e);
    if (tooLittle != null) {
      return new Failure(
          USER_ERROR,
          "error: " + tooLittle + " (bin/cellspark: set CELLSPARK_DRIVER_MEMORY, e.g. 4g)",
          false);
    }
    if (outOfMemory(e)) {
      return new Failure(
          USER_ERROR,
          "error: the job ran out of memory. Give it more (bin/cellspark: CELLSPARK_DRIVER_MEMORY,"
              + " default 4g; clusters: spark.executor.memory, and spark.executor.memoryOverhead"
              + " for libtorch), or make each task smaller: more --partitions, and a smaller"
              + " --batch-tokens for embed and perturb. "
              + log()
              + " names the task.",
          false);
    }
    if (String.valueOf(e.getMessage()).contains("stopped SparkContext")) {
      // Spark stopped under the job (local mode stops it after an executor's uncaught error):
      // the cause is in Spark's log, not in this exception.
      return new Failure(
          BUG,
          "error: Spark stopped while the job ran; "
              + log()
              + " says why (most often a task ran"
              + " out of memory: give the job more, or use more --partitions).",
          false);
    }
    return new Failure(
        BUG,
        "internal error: this is a bug in Cellspark; please report it with the trace below and "
            + log()
            + ".",
        true);
  }

  /** Spark's message for a job cancelled under the command, or null. */
  private static String cancelled(Throwable e) {
    Throwable c =
        Causes.first(
            e, t -> t.getMessage() != null && CANCELLED_JOB.matcher(t.getMessage()).matches());
    if (c == null) {
      return null;
    }
    java.util.regex.Matcher m = CANCELLED_JOB.matcher(c.getMessage());
    return m.matches() ? m.group(1) : c.getMessage();
  }

  /**
   * The log file of this run, as bin/cellspark names it, or Spark's log where the platform keeps
   * it.
   */
  static String log() {
    String file = System.getProperty(LOG_FILE_PROPERTY);
    return file == null ? "Spark's log (the driver's)" : "the log " + file;
  }

  /**
   * Spark's refusal to start with less memory than it needs (its message says which setting), or
   * null.
   */
  private static String memoryBelowSparksMinimum(Throwable e) {
    Throwable refusal =
        Causes.first(e, c -> mentions(c, "[INVALID_DRIVER_MEMORY]", "[INVALID_EXECUTOR_MEMORY]"));
    return refusal == null ? null : refusal.getMessage();
  }

  /**
   * An OutOfMemoryError here, or one reported from an executor: Spark passes remote failures on as
   * text ("java.lang.OutOfMemoryError", YARN's "exceeding memory limits").
   */
  private static boolean outOfMemory(Throwable e) {
    return Causes.first(
            e,
            c ->
                c instanceof OutOfMemoryError
                    || mentions(c, "java.lang.OutOfMemoryError", "exceeding memory limits"))
        != null;
  }

  private static boolean mentions(Throwable t, String... texts) {
    String message = String.valueOf(t.getMessage());
    return Arrays.stream(texts).anyMatch(message::contains);
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
