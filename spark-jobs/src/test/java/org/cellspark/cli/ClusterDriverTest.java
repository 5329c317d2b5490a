package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Main} as a cluster driver ({@code spark-submit --deploy-mode cluster}: YARN's
 * ApplicationMaster calls main in a thread and marks the application failed if the JVM exits
 * first), as a client, and called by a host that already runs Spark: run by {@link
 * ApplicationMasterStandIn} in a JVM of its own that records every attempt to exit.
 */
class ClusterDriverTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();
  private static final String ATLAS = Fixtures.atlas("csr_float32_gzip.h5ad").toString();
  private static final String NEGATIVE = Fixtures.bad("negative.h5ad").toString();

  @TempDir Path tmp;

  @Test
  void clusterDriversReturnOrThrowAndClientsExitWithTheirCodes() throws Exception {
    List<String> lines =
        standIn(
            tokenize("cluster", ATLAS, "ok"),
            tokenize("cluster", NEGATIVE, "bad"),
            List.of("cluster", "tokenize", "--input", ATLAS),
            tokenize("client", NEGATIVE, "bad2"),
            tokenize("client", ATLAS, "ok2"),
            tokenize("host", ATLAS, "ok3"),
            tokenize("host", NEGATIVE, "bad3"));
    assertThat(lines).hasSize(7);
    // Success: main returns, nothing asks the JVM to exit.
    assertThat(lines.get(0)).isEqualTo("scenario 0: exits=[] outcome=returned");
    assertThat(tmp.resolve("ok").resolve("_cellspark.json")).exists();
    // Bad input: main throws the one-line message (no trace of its own: YARN's diagnostics show the
    // line), no exit.
    assertThat(lines.get(1))
        .startsWith(
            "scenario 1: exits=[] outcome=threw org.cellspark.cli.CommandFailedException: error:"
                + " Input ")
        .contains("the count -2.0 is negative")
        .endsWith("[no trace]");
    assertThat(tmp.resolve("bad")).doesNotExist();
    // A usage error too.
    assertThat(lines.get(2))
        .startsWith("scenario 2: exits=[] outcome=threw org.cellspark.cli.CommandFailedException:");
    // Client mode keeps the exit codes: 2 for the input, 0 for success.
    assertThat(lines.get(3)).startsWith("scenario 3: exits=[2]");
    assertThat(lines.get(4)).startsWith("scenario 4: exits=[0]");
    assertThat(tmp.resolve("ok2").resolve("_cellspark.json")).exists();
    // A host that runs Spark calls main (a Databricks JAR task's driver) in client mode: with only
    // a context running, the command makes a session on it, returns, and leaves the context
    // running for the host; then, with that session running, a refusal throws its line. Nothing
    // asks the JVM to exit.
    assertThat(lines.get(5))
        .isEqualTo("scenario 5: exits=[] outcome=returned context=running, 3 rows");
    assertThat(tmp.resolve("ok3").resolve("_cellspark.json")).exists();
    assertThat(lines.get(6))
        .startsWith(
            "scenario 6: exits=[] outcome=threw org.cellspark.cli.CommandFailedException: error:"
                + " Input ")
        .contains("the count -2.0 is negative")
        .endsWith("[no trace] context=running, 3 rows");
    assertThat(tmp.resolve("bad3")).doesNotExist();
  }

  @Test
  void aRefusalIsItsOneLineAndABugCarriesItsTrace() {
    // In this JVM: with the cluster deploy mode nothing exits, so the driver's entry can be called
    // directly.
    assertThatThrownBy(
            () ->
                Main.runAsClusterDriver(
                    "tokenize",
                    "--input",
                    ATLAS,
                    "--vocabulary",
                    V2,
                    "--output",
                    tmp.resolve("x").toString(),
                    "--partitions",
                    "-1"))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageStartingWith("error: --partitions must be positive")
        .hasNoCause()
        .satisfies(e -> assertThat(((CommandFailedException) e).exitCode()).isEqualTo(2))
        .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
    assertThatThrownBy(
            () ->
                Main.runAsClusterDriver(
                    cl -> cl.addSubcommand(new MainTest.Fail()), "fail", "--assertion"))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageStartingWith("internal error: this is a bug in Cellspark")
        .hasCauseInstanceOf(AssertionError.class)
        .satisfies(e -> assertThat(((CommandFailedException) e).exitCode()).isEqualTo(1));
  }

  /** A stand-in scenario: tokenize {@code input} with the V2 vocabulary into tmp/{@code out}. */
  private List<String> tokenize(String deployMode, String input, String out) {
    return List.of(
        deployMode,
        "tokenize",
        "--input",
        input,
        "--vocabulary",
        V2,
        "--output",
        tmp.resolve(out).toString());
  }

  /** Runs the stand-in in a JVM of its own and returns its scenario lines. */
  @SafeVarargs
  private List<String> standIn(List<String>... scenarios) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    for (List<String> scenario : scenarios) {
      if (!args.isEmpty()) {
        args.add("---");
      }
      args.addAll(scenario);
    }
    // The stand-in watches for exit() with a security manager, which Java 24 removed (the JVM
    // refuses to start with this option): on such a Java the test is skipped, saying so.
    assumeTrue(
        Runtime.version().feature() < 24,
        "the stand-in needs a security manager, which Java 24 and later do not have");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.add("-Djava.security.manager=allow");
    cmd.addAll(
        List.of(
            Files.readString(Fixtures.repositoryRoot().resolve("conf/java17-options"))
                .trim()
                .split("\\s+")));
    cmd.add("-Dspark.master=local[1]");
    cmd.add("-Dspark.ui.enabled=false");
    cmd.add("-Dspark.driver.host=127.0.0.1");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ApplicationMasterStandIn.class.getName());
    cmd.addAll(args);
    Path log = tmp.resolve("stand-in.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the stand-in finished").isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().filter(l -> l.startsWith("scenario ")).toList();
  }
}
