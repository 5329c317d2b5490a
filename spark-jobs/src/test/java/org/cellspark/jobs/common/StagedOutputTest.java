package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output that would hold an input is refused before anything is written, however either is
 * spelled: Hadoop qualifies {@code /tmp/a} as {@code file:///tmp/a} but leaves {@code file:/tmp/a}
 * as it is, and the two were compared as strings, so {@code --output file:/data/atlases
 * --overwrite} over the input {@code /data/atlases} deleted the input.
 */
class StagedOutputTest {
  @TempDir Path tmp;

  private final Configuration conf = new Configuration();

  @Test
  void anOutputHoldingAnInputIsRefusedHoweverEitherIsSpelled() throws Exception {
    Path atlases = Files.createDirectories(tmp.resolve("atlases"));
    Path atlas = Files.writeString(atlases.resolve("a.h5ad"), "an atlas");
    String plain = atlas.toString();
    String uri = atlas.toUri().toString(); // file:///...
    String shortUri = "file:" + atlas; // file:/...
    for (String input : List.of(plain, uri, shortUri)) {
      for (String output :
          List.of(
              atlases.toString(),
              "file:" + atlases,
              atlases.toUri().toString(),
              "FILE:" + atlases,
              tmp.toString(),
              "file:" + tmp)) {
        assertThatThrownBy(() -> StagedOutput.prepare(output, true, conf, List.of(input)))
            .as("output %s, input %s", output, input)
            .isInstanceOf(UserException.class)
            .hasMessageContaining("would contain the input");
      }
    }
    assertThat(atlas).hasContent("an atlas");
  }

  @Test
  void aFolderBesideTheInputIsNotInsideIt() throws Exception {
    Path atlases = Files.createDirectories(tmp.resolve("atlases"));
    Path atlas = Files.writeString(atlases.resolve("a.h5ad"), "an atlas");
    Path beside = Files.createDirectories(tmp.resolve("atlases2"));
    StagedOutput out =
        StagedOutput.prepare("file:" + beside, true, conf, List.of(atlas.toString()));
    assertThat(out.targetLocation()).endsWith("atlases2");
    assertThat(atlas).hasContent("an atlas");
  }

  @Test
  void theRootOfADiskOrBucketIsNoOutputFolder() {
    for (String root : List.of("/", "file:/", "file:///")) {
      assertThatThrownBy(() -> StagedOutput.prepare(root, true, conf, List.of()))
          .as(root)
          .isInstanceOf(UserException.class)
          .hasMessageContaining(
              "Output "
                  + root
                  + " is the root of its bucket or file system; write into a folder"
                  + " in it, e.g. file:/output");
    }
  }

  /**
   * Two runs finishing one output at once (an Airflow task and its retry): both delete the previous
   * output before either renames. The second rename lands inside the first's output (Hadoop's
   * rename into an existing folder); that run is refused, its copy removed, and the output is the
   * first's alone.
   */
  @Test
  void aRunWhoseOutputAnotherWroteMeanwhileIsRefusedAndLeavesItWhole() throws Exception {
    Path output = Files.createDirectories(tmp.resolve("embeddings"));
    Files.writeString(output.resolve("old"), "the previous run's");
    StagedOutput first = StagedOutput.prepare(output.toString(), true, conf, List.of());
    StagedOutput second = StagedOutput.prepare(output.toString(), true, conf, List.of());
    for (StagedOutput out : List.of(first, second)) {
      out.createStaging();
      out.writeBytes(out == first ? "first" : "second", new byte[] {1});
    }
    first.removePrevious();
    second.removePrevious();
    first.moveIntoPlace();
    assertThatThrownBy(second::moveIntoPlace)
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "Another run wrote output "
                + output
                + " while this one was finishing; it holds that"
                + " run's complete output, and this run's was discarded");
    try (var files = Files.list(output)) { // Hadoop's local checksum files aside
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")))
          .containsExactly("first");
    }
    try (var files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("embeddings");
    }
  }
}
