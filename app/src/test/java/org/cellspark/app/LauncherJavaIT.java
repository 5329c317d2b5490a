package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which Java runs Cellspark: bin/cellspark takes JAVA_HOME's (as Maven, which builds the project,
 * does) before the java on PATH, and refuses, with exit code 2 and the way out, a Java outside the
 * build's range (17 to 21), such as one Spark 3.5 cannot start on (23 or later: Hadoop's login
 * calls Subject.getSubject, which they no longer support; Main refuses the latter the same way
 * where no launcher checked: NewerJavaIT). Without the checks a user whose default Java is 25 (the
 * current long-term release) got "internal error: this is a bug in Cellspark" and a trace. The
 * tests that need such a Java use a real one installed on the machine (under /usr/lib/jvm), and are
 * skipped, saying so, where none is.
 */
class LauncherJavaIT {
  private static final Path OWN_JAVA_HOME = Path.of(System.getProperty("java.home"));

  @TempDir Path tmp;

  @Test
  void aJavaSparkCannotStartOnIsRefusedBeforeAnythingRuns() throws Exception {
    Path newJava = Jdks.fromVersion(23);
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
    Path newJava = Jdks.fromVersion(23);
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
}
