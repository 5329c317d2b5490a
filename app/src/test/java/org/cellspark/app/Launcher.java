package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cellspark.testing.Fixtures;

/**
 * bin/cellspark run as a user runs it, in a process of its own, after the jars are built (the
 * launcher would build the project first otherwise), with its log folder under the test's.
 */
final class Launcher {
  static final Path SCRIPT = Fixtures.repositoryRoot().resolve("bin/cellspark");

  /** One run: exit code and console (both streams). */
  record Run(int exitCode, String console) {}

  private Launcher() {}

  /** A run started and not yet waited for. */
  record Started(Process process, Path console, List<String> command) {
    /** What the run has printed so far. */
    String consoleSoFar() throws IOException {
      return Files.exists(console) ? Files.readString(console, StandardCharsets.UTF_8) : "";
    }

    Run await() throws IOException, InterruptedException {
      assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("%s ended", command).isTrue();
      return new Run(process.exitValue(), consoleSoFar());
    }
  }

  /**
   * Runs {@code bin/cellspark args...} with these environment variables set (a null value removes
   * the variable) besides a log folder and a small heap; none of the caller's CELLSPARK_JAVA_OPTS.
   */
  static Run run(Path tmp, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return start(SCRIPT, tmp, env, args).await();
  }

  /** Starts {@code script args...} as {@link #run} runs the repository's launcher. */
  static Started start(Path script, Path tmp, Map<String, String> env, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
    cmd.addAll(List.of(args));
    Path out = tmp.resolve("console-" + System.nanoTime() + ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    Map<String, String> environment = pb.environment();
    environment.put("CELLSPARK_LOG_DIR", tmp.resolve("logs").toString());
    environment.put("CELLSPARK_DRIVER_MEMORY", "512m");
    environment.remove("CELLSPARK_JAVA_OPTS");
    setEnvironment(environment, env);
    return new Started(pb.start(), out, cmd);
  }

  /** Sets {@code env} in a process's {@code environment}: a null value removes the variable. */
  static void setEnvironment(Map<String, String> environment, Map<String, String> env) {
    env.forEach(
        (k, v) -> {
          if (v == null) {
            environment.remove(k);
          } else {
            environment.put(k, v);
          }
        });
  }
}
