package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/cellspark with CELLSPARK_CLASS_ARCHIVE (a class-data archive, opt-in): the first run writes
 * it as it exits, with the stamp of what it was made from; the next maps Cellspark's classes from
 * it (the JVM's class loading log says where each class came from); a stamp that no longer matches
 * (a rebuilt jar, another JVM) makes the run write it again; a failed run leaves none. The console
 * holds only what the command prints. Run here, after the jars are built: the launcher would build
 * the project first otherwise.
 */
class ClassArchiveIT {
  @TempDir Path tmp;

  private Launcher.Run launch(Path archive, String javaOpts, String... args)
      throws IOException, InterruptedException {
    Map<String, String> env = new HashMap<>();
    env.put("CELLSPARK_CLASS_ARCHIVE", archive.toString());
    env.put("CELLSPARK_JAVA_OPTS", javaOpts);
    return Launcher.run(tmp, env, args);
  }

  @Test
  void theFirstRunWritesItAndLaterRunsMapCellsparksClassesFromIt() throws Exception {
    Path archive = tmp.resolve("cds/cellspark.jsa");
    Path stamp = tmp.resolve("cds/cellspark.jsa.stamp");

    Launcher.Run first = launch(archive, null, "--version");
    assertThat(first.exitCode()).isZero();
    assertThat(first.console().strip())
        .as("only the version on the console")
        .matches("cellspark \\S+");
    assertThat(archive).isNotEmptyFile();
    String made = Files.readString(stamp);
    assertThat(made).contains(" ");
    try (var left = Files.list(archive.getParent())) {
      assertThat(left.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("cellspark.jsa", "cellspark.jsa.stamp");
    }

    Launcher.Run second = launch(archive, "-Xlog:class+load=info", "--version");
    assertThat(second.exitCode()).isZero();
    assertThat(second.console())
        .as("Cellspark's own classes come from the archive")
        .containsPattern("org\\.cellspark\\.cli\\.Main source: shared objects file \\(top\\)");

    // A stamp of something else (a jar rebuilt since): the run makes the archive again.
    Files.writeString(stamp, "made from another build\n");
    Launcher.Run again = launch(archive, null, "--version");
    assertThat(again.exitCode()).isZero();
    assertThat(Files.readString(stamp)).isEqualTo(made);
  }

  @Test
  void aFailedRunLeavesNoArchive() throws Exception {
    Path archive = tmp.resolve("failed/cellspark.jsa");
    Launcher.Run failed =
        launch(
            archive,
            null,
            "tokenize",
            "--input",
            tmp.resolve("missing.h5ad").toString(),
            "--vocabulary",
            "builtin:geneformer-v1",
            "--output",
            tmp.resolve("out").toString());
    assertThat(failed.exitCode()).as(failed.console()).isEqualTo(2);
    assertThat(failed.console()).contains("missing.h5ad").doesNotContain("[warning]");
    try (var left = Files.list(archive.getParent())) {
      assertThat(left).isEmpty();
    }
  }
}
