package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How classify apply names a fine-tuned model: on the driver, the folder it reads the head from;
 * for the executors, a name each resolves on its own node, so that a folder shipped with --archives
 * (a relative alias, unpacked in every executor's working folder) is not taken at the driver's
 * path, which the executors' nodes do not have.
 */
class ModelFolderTest {
  @TempDir Path tmp;

  @Test
  void aFinetuneOutputIsReadFromItsModelFolderEverywhere() throws IOException {
    Path output = Files.createDirectories(tmp.resolve("ft/model"));
    Files.writeString(output.resolve("config.json"), "{}");
    Path folder = tmp.resolve("ft");
    assertThat(FineTunedApply.modelFolder(folder.toString())).isEqualTo(output);
    assertThat(FineTunedApply.forExecutors(folder.toString())).isEqualTo(folder + "/model");
    assertThat(FineTunedApply.forExecutors(folder.toUri().toString()))
        .as("a file: URI as its local path")
        .isEqualTo(folder.toAbsolutePath() + "/model");
  }

  @Test
  void aShippedAliasIsLeftForEachExecutorToResolve() throws IOException {
    Path gene = Files.createDirectories(tmp.resolve("fold-1"));
    Files.writeString(gene.resolve("config.json"), "{}");
    assertThat(FineTunedApply.forExecutors(gene.toString())).isEqualTo(gene.toString());
    // Not a folder of the driver's working directory: the name of a shipped archive.
    assertThat(FineTunedApply.forExecutors("tinymodel-nowhere-here"))
        .isEqualTo("tinymodel-nowhere-here");
  }
}
