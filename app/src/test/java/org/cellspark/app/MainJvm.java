package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * org.cellspark.cli.Main from the app jar in a JVM of its own, as spark-submit and pyspark start it
 * (no bin/cellspark): the app jar, libtorch and Spark's jars on the class path, these JVM options
 * and environment.
 */
final class MainJvm {
  private MainJvm() {}

  record Run(int exitCode, String console) {
    /**
     * The console's last line: the message (what comes before it is the log, Spark's own where the
     * JVM has no log configuration of Cellspark's, as here).
     */
    String lastLine() {
      List<String> lines = console.strip().lines().toList();
      return lines.get(lines.size() - 1);
    }
  }

  /**
   * Runs {@code args} with the JVM of the JDK at {@code javaHome}, with {@code options}, and {@code
   * env} set in its environment (a null value removes the variable); its console goes to a file in
   * {@code tmp}. Asserts that it ended within 4 minutes.
   */
  static Run run(
      Path javaHome, List<String> options, Map<String, String> env, Path tmp, List<String> args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(), "-Xmx2g"));
    cmd.addAll(options);
    cmd.addAll(
        List.of(
            "-Dai.djl.offline=true",
            "-cp",
            String.join(
                ":",
                LocalCluster.APP.toString(),
                LocalCluster.LIBTORCH.toString(),
                LocalCluster.SPARK_HOME.resolve("jars") + "/*"),
            "org.cellspark.cli.Main"));
    cmd.addAll(args);
    Path out = tmp.resolve("console-" + args.get(0) + "-" + System.nanoTime() + ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("DJL_OFFLINE", "true");
    Launcher.setEnvironment(pb.environment(), env);
    Process p = pb.start();
    boolean done = p.waitFor(4, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly();
    }
    String console = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(done)
        .as("%s ended within 4 minutes; its output:%n%s", args.get(0), console)
        .isTrue();
    return new Run(p.exitValue(), console);
  }
}
