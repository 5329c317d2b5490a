package org.cellspark.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.core.LoggerContext;
import org.cellspark.testing.Fixtures;

/**
 * What a user's terminal shows for a command run in this JVM: the logging is bin/cellspark's own
 * ({@code conf/log4j2.properties}, with its log file), and everything any thread writes to {@code
 * System.out} and {@code System.err} while the command runs is captured (Spark's task threads log
 * there too), together with what the CLI prints. Close it to restore the test logging and the
 * standard streams.
 */
final class UserConsole implements AutoCloseable {
  private static final Path CONFIG = Fixtures.repositoryRoot().resolve("conf/log4j2.properties");

  private final LoggerContext logging;
  private final URI testConfig;
  private final Path logFile;
  private final String logFileBefore;

  /**
   * One command's run: exit code, the whole console (both streams, as they interleaved), and what
   * the log file gained.
   */
  record Run(int exitCode, String console, String log) {}

  private UserConsole(Path logFile) {
    this.logging = LoggerContext.getContext(false);
    this.testConfig = logging.getConfigLocation();
    this.logFile = logFile;
    this.logFileBefore = System.getProperty(Main.LOG_FILE_PROPERTY);
    System.setProperty(Main.LOG_FILE_PROPERTY, logFile.toString());
    logging.setConfigLocation(CONFIG.toUri());
  }

  /** bin/cellspark's logging, into {@code logFile}, until closed. */
  static UserConsole open(Path logFile) {
    return new UserConsole(logFile);
  }

  Run run(String... args) throws IOException {
    long logged = Files.exists(logFile) ? Files.size(logFile) : 0;
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8);
    PrintStream out = System.out;
    PrintStream err = System.err;
    int code;
    System.setOut(capture);
    System.setErr(capture);
    try {
      code = Main.execute(new PrintWriter(capture, true), new PrintWriter(capture, true), args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    byte[] log = Files.exists(logFile) ? Files.readAllBytes(logFile) : new byte[0];
    String gained =
        new String(
            log,
            (int) Math.min(logged, log.length),
            (int) Math.max(0, log.length - logged),
            StandardCharsets.UTF_8);
    return new Run(code, console.toString(StandardCharsets.UTF_8), gained);
  }

  @Override
  public void close() {
    if (logFileBefore == null) {
      System.clearProperty(Main.LOG_FILE_PROPERTY);
    } else {
      System.setProperty(Main.LOG_FILE_PROPERTY, logFileBefore);
    }
    logging.setConfigLocation(testConfig);
  }
}
