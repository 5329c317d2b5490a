package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a job's named file is on a node: a path that exists (made absolute), else, on an executor,
 * a refusal that says relative paths are not the driver's there (on a local cluster, a relative
 * --model the driver found was looked up in the executor's work folder and reported as "Model
 * .../spark-home/work/app-.../tiny model does not exist").
 */
class ShippedFilesTest {
  @TempDir Path tmp;

  @Test
  void anExistingPathIsMadeAbsoluteAndAMissingOneIsLeftToTheLoaderOffExecutors() throws Exception {
    Path model = Files.createDirectories(tmp.resolve("tiny model"));
    assertThat(ShippedFiles.resolve(model.toString(), false, null)).isEqualTo(model);
    assertThat(ShippedFiles.resolve(model.toString(), false, "3")).isEqualTo(model);
    // Off executors (the driver, or no Spark) a missing relative path is absolute in this folder,
    // for the model loader to name.
    assertThat(ShippedFiles.resolve("no such model", false, null))
        .isEqualTo(Path.of("no such model").toAbsolutePath());
  }

  @Test
  void aRelativeNameMissingOnAnExecutorIsRefusedWithTheWayOut() {
    assertThatThrownBy(() -> ShippedFiles.resolve("models/tiny model", false, "3"))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("models/tiny model is not on executor 3 (")
        .hasMessageContaining("not in the folder the job was started from")
        .hasMessageEndingWith("--archives tiny model.zip#tiny model");
  }
}
