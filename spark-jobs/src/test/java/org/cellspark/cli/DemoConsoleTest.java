package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user's terminal shows for {@code cellspark demo} on a CPU, with bin/cellspark's logging:
 * Cellspark's progress lines and the summary, and nothing else: no warning from DJL's CUDA probe,
 * from netlib's BLAS loader or from Spark (they go to the run's log file), no terminal escape
 * codes.
 */
@ExtendWith(SharedSpark.class)
class DemoConsoleTest {
  @TempDir Path tmp;

  @Test
  void theDemosConsoleHoldsOnlyCellsparksLines(SparkSession spark) throws Exception {
    UserConsole.Run run;
    try (UserConsole console = UserConsole.open(tmp.resolve("cellspark.log"))) {
      // A folder name with a space and a letter outside ASCII, as users' folders have.
      run = console.run("demo", "--workdir", tmp.resolve("my demo ü").toString());
    }
    assertThat(run.exitCode()).as(run.console()).isZero();
    List<String> lines = run.console().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines)
        .as(run.console())
        .noneMatch(l -> l.contains("WARN") || l.contains("ERROR"))
        .noneMatch(l -> l.contains("CUDA") || l.contains("BLAS") || l.contains("netlib"))
        .noneMatch(l -> l.indexOf('\u001b') >= 0);
    // Log lines on the console are Cellspark's own (logger names of org.cellspark classes).
    assertThat(lines.stream().filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d \\w+ .*")))
        .allMatch(
            l ->
                l.matches(
                    "^\\d\\d:\\d\\d:\\d\\d INFO"
                        + " (TokenizeJob|EmbedJob|PerturbJob|StatsJob|ClassifyJob): .*"));
    assertThat(run.console())
        .contains("report:")
        .contains("genes tested")
        .contains(
            "next:     bin/cellspark plot --input '" + tmp.resolve("my demo ü/embeddings") + "'")
        .contains("--output '" + tmp.resolve("my demo ü/plots") + "'");
    // The top genes' table keeps its columns when a gene is shown by its Ensembl ID (15
    // characters, the demo's third gene): every row's shift starts where the first row's does.
    List<String> rows = lines.stream().filter(l -> l.matches("^ {14}\\S+ +shift .*")).toList();
    assertThat(rows).hasSize(5);
    assertThat(rows)
        .extracting(l -> l.indexOf(" shift "))
        .containsOnly(rows.get(0).indexOf(" shift "));
  }
}
