package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which Java runs Cellspark: bin/cellspark takes JAVA_HOME's (as Maven, which builds the project,
 * does) before the java on PATH, and refuses, with exit code 2 and the way out, a Java outside the
 * build's range (17 to 21), such as one Spark 3.5 cannot start on (23 or later: Hadoop's login
 * calls Subject.getSubject, which they no longer support); Main refuses the latter it the same way
 * where no launcher checked (spark-submit, a JVM started by hand). Without the checks a user whose
 * default Java is 25 (the current long-term release) got "internal error: this is a bug in
 * Cellspark" and a trace. The tests that need such a Java use a real one installed on the machine
 * (under /usr/lib/jvm), and are skipped, saying so, where none is.
 */
class LauncherJavaIT {
  private static final Path OWN_JAVA_HOME = Path.of(System.getProperty("java.home"));

  @TempDir Path tmp;

  @Test
  void aJavaSparkCannotStartOnIsRefusedBeforeAnythingRuns() throws Exception {
    Path newJava = javaFromVersion(23);
    Launcher.Run run =
        Launcher.run(
            tmp, Map.of("JAVA_HOME", newJava.toString()), tokenize().toArray(new String[0]));
    assertThat(run.exitCode()).as(run.console()).isEqualTo(2);
    assertThat(run.console())
        .startsWith("error: " + newJava.resolve("bin/java") + " is Java ")
        .contains("Cellspark runs on Java 17 to 21")
        .contains("Set JAVA_HOME to a JDK 17")
        .doesNotContain("building")
        .doesNotContain("\tat ");
    assertThat(tmp.resolve("tokens")).doesNotExist();
  }

  @Test
  void javaHomeWinsOverThePathsJava() throws Exception {
    Path newJava = javaFromVersion(23);
    Map<String, String> env = new HashMap<>();
    env.put("JAVA_HOME", OWN_JAVA_HOME.toString());
    env.put("PATH", newJava.resolve("bin") + ":" + System.getenv("PATH"));
    Launcher.Run run = Launcher.run(tmp, env, "--version");
    assertThat(run.exitCode()).as(run.console()).isZero();
    assertThat(run.console().strip()).matches("cellspark \\S+");
  }

  @Test
  void aJavaHomeWithoutJavaIsNamed() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("not-a-jdk"));
    Launcher.Run run = Launcher.run(tmp, Map.of("JAVA_HOME", empty.toString()), "--version");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.console().strip())
        .isEqualTo(
            "error: JAVA_HOME is " + empty + ", which holds no bin/java; point it at a JDK 17");
  }

  /**
   * Main on such a Java without the launcher (as spark-submit starts it): the session is refused
   * with the same way out, exit code 2, before Spark starts.
   */
  @Test
  void mainRefusesTheSessionOnAJavaSparkCannotStartOn() throws Exception {
    Path newJava = javaFromVersion(23);
    List<String> cmd = new ArrayList<>(List.of(newJava.resolve("bin/java").toString()));
    cmd.addAll(LocalCluster.java17Options());
    cmd.addAll(
        List.of(
            "-cp",
            LocalCluster.APP + ":" + LocalCluster.SPARK_HOME.resolve("jars") + "/*",
            "org.cellspark.cli.Main"));
    cmd.addAll(tokenize());
    Path out = tmp.resolve("main.txt");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String console = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(console).isEqualTo(2);
    assertThat(console)
        .contains("error: This is Java ")
        .contains("Spark 3.5 cannot start on Java 23 or later")
        .contains("set JAVA_HOME to a JDK 17")
        .doesNotContain("getSubject is not supported");
    assertThat(tmp.resolve("tokens")).doesNotExist();
  }

  /** A tokenize into tmp/tokens, which the refusals must leave unwritten. */
  private List<String> tokenize() {
    return List.of(
        "tokenize",
        "--input",
        Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
        "--vocabulary",
        "builtin:geneformer-v1",
        "--output",
        tmp.resolve("tokens").toString());
  }

  /**
   * A JDK of version {@code atLeast} or later installed on this machine; the test is skipped if
   * none.
   */
  private static Path javaFromVersion(int atLeast) throws IOException {
    Optional<Path> found = Optional.empty();
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> homes = Files.list(jvms)) {
        found =
            homes
                .filter(h -> feature(h) >= atLeast && Files.isExecutable(h.resolve("bin/java")))
                .sorted()
                .findFirst();
      }
    }
    assumeTrue(
        found.isPresent(),
        "no Java " + atLeast + " or later installed under /usr/lib/jvm to run Cellspark on");
    return found.get();
  }

  /** The feature version in a JDK's release file (JAVA_VERSION="25.0.3"), or 0. */
  private static int feature(Path javaHome) {
    try {
      Matcher m =
          Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)")
              .matcher(Files.readString(javaHome.resolve("release")));
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
