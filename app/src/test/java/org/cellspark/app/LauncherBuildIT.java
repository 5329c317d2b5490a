package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When bin/cellspark builds the project: on first use and after a source or POM changed since its
 * last build, never twice for one change, and one build at a time however many runs start together
 * (runs started in a loop in the background once built into the same target folders at once, and
 * one failed with "Could not replace original artifact with shaded artifact").
 *
 * <p>The launcher runs from a copy of its tree (bin/, conf/, POMs and a source file) in which
 * {@code mvn} is a stand-in that records each build and leaves what a package build leaves: the
 * project's real jar (kept at its old time, as Maven keeps a jar whose classes did not change) and
 * classpath file, so every run ends by starting the real Main. A real build takes minutes; what is
 * tested here is the launcher's decisions around it.
 */
class LauncherBuildIT {
  private static final Path REPO = Fixtures.repositoryRoot();

  /** The console's last line is Main's --version answer: the real Main ran after the build. */
  private static final String VERSION_LAST = "(?:^|\\n)cellspark [^\\s:]+\\n$";

  private static final String WAITING = "cellspark: waiting for another run's build to finish";

  @TempDir Path tmp;
  private Path root;
  private Map<String, String> env;
  private final List<Launcher.Started> started = new ArrayList<>();

  @BeforeEach
  void copyOfTheLauncherTree() throws IOException {
    root = tmp.resolve("cellspark");
    for (String file : List.of("bin/cellspark", "conf/java17-options", "conf/log4j2.properties")) {
      Files.createDirectories(root.resolve(file).getParent());
      Files.copy(REPO.resolve(file), root.resolve(file));
    }
    write(root.resolve("pom.xml"), "<project/>");
    write(root.resolve("model-udf/pom.xml"), "<project/>");
    write(root.resolve("spark-jobs/pom.xml"), "<project/>");
    write(root.resolve("spark-jobs/src/main/java/Job.java"), "class Job {}");

    Path jar;
    try (Stream<Path> jars = Files.list(REPO.resolve("spark-jobs/target"))) {
      jar =
          jars.filter(p -> p.getFileName().toString().matches("cellspark-spark-jobs-.*\\.jar"))
              .filter(p -> !p.getFileName().toString().endsWith("-tests.jar"))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("spark-jobs is not packaged"));
    }
    Path tools = Files.createDirectories(tmp.resolve("tools"));
    Path mvn = tools.resolve("mvn");
    write(
        mvn,
        String.join(
            "\n",
            "#!/usr/bin/env bash",
            "# Stands in for Maven (run in the tree's root): records the build, waits while the",
            "# test holds it, fails when told to, else leaves the jar (its time kept) and"
                + " classpath.",
            "echo \"build $$\" >> builds.txt",
            "for i in $(seq 1200); do [[ -e hold ]] || break; sleep 0.1; done",
            "if [[ -e fail ]]; then echo '[ERROR] Job.java:[1,1] class expected'; exit 1; fi",
            "mkdir -p spark-jobs/target",
            "cp -p '" + jar + "' spark-jobs/target/" + jar.getFileName(),
            "cp '" + REPO.resolve("spark-jobs/target/launcher.classpath") + "' spark-jobs/target/",
            ""));
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
    env = new HashMap<>();
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("PATH", tools + ":" + System.getenv("PATH"));
  }

  @Test
  void runsStartedTogetherBuildOnceAndTheOthersWaitForIt() throws Exception {
    assumeTrue(
        onPath("flock") || onPath("shlock"),
        "neither flock nor shlock is installed: the launcher builds without a lock here");
    Files.createFile(root.resolve("hold")); // the first build lasts until the second run waits
    Launcher.Started first = start();
    await(() -> builds() == 1, "the first run's build started");
    Launcher.Started second = start();
    await(() -> second.consoleSoFar().contains(WAITING), "the second run waits for the build");
    Files.delete(root.resolve("hold"));

    Launcher.Run a = first.await();
    Launcher.Run b = second.await();
    assertThat(a.exitCode()).as(a.console()).isZero();
    assertThat(b.exitCode()).as(b.console()).isZero();
    assertThat(a.console()).contains("cellspark: building").containsPattern(VERSION_LAST);
    assertThat(b.console()).doesNotContain("building").containsPattern(VERSION_LAST);
    assertThat(builds()).as("builds").isEqualTo(1);
  }

  @Test
  void aSourceOrPomChangedSinceTheLastBuildBuildsOnceAndNothingElseBuilds() throws Exception {
    assertThat(runs()).contains("cellspark: building");
    assertThat(runs()).doesNotContain("building");
    assertThat(builds()).isEqualTo(1);

    for (String changed : List.of("spark-jobs/src/main/java/Job.java", "pom.xml")) {
      // Changed after the last build started (times set, not waited for: no clock granularity).
      Instant now = Instant.now();
      Files.setLastModifiedTime(
          root.resolve("spark-jobs/target/launcher.built"),
          FileTime.from(now.minus(Duration.ofMinutes(2))));
      Files.setLastModifiedTime(
          root.resolve(changed), FileTime.from(now.minus(Duration.ofMinutes(1))));
      int before = builds();
      assertThat(runs()).as(changed).contains("cellspark: building");
      // The jar Maven left kept its old time; the next run must not take that for a change.
      assertThat(runs()).as(changed).doesNotContain("building");
      assertThat(builds()).as(changed).isEqualTo(before + 1);
    }
  }

  @Test
  void aFailedBuildIsReportedAndTheNextRunBuildsAgain() throws Exception {
    Files.createFile(root.resolve("fail"));
    Launcher.Run failed = start().await();
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.console())
        .contains("error: the build failed; the end of its log (" + root + "/target/")
        .contains("[ERROR] Job.java:[1,1] class expected");

    Files.delete(root.resolve("fail"));
    assertThat(runs()).contains("cellspark: building");
    assertThat(builds()).isEqualTo(2);
  }

  /** A run a failed check left waiting (on the held build) ends with the test. */
  @AfterEach
  void stopRunsLeft() throws IOException {
    Files.deleteIfExists(root.resolve("hold"));
    started.forEach(s -> s.process().destroyForcibly());
  }

  private Launcher.Started start() throws IOException {
    Launcher.Started run = Launcher.start(root.resolve("bin/cellspark"), tmp, env, "--version");
    started.add(run);
    return run;
  }

  /** One run to its end: its console, after checking it succeeded. */
  private String runs() throws Exception {
    Launcher.Run run = start().await();
    assertThat(run.exitCode()).as(run.console()).isZero();
    assertThat(run.console()).containsPattern(VERSION_LAST);
    return run.console();
  }

  private int builds() throws IOException {
    Path log = root.resolve("builds.txt");
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  /** Waits for a state the runs reach by themselves (a minute at most: they take a second). */
  private static void await(Callable<Boolean> reached, String what) throws Exception {
    Instant until = Instant.now().plus(Duration.ofMinutes(1));
    while (!reached.call()) {
      assertThat(Instant.now()).as("waited a minute for: " + what).isBefore(until);
      Thread.sleep(50);
    }
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv("PATH").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
