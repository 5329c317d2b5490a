package org.cellspark.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local copies of folders and files named by a Hadoop location. Hadoop's local file system stands
 * in for the store here (the copying goes through the same FileSystem calls); ObjectStorageTest
 * runs jobs with a model and a vocabulary in a real S3 server.
 */
class RemoteCopiesTest {
  @TempDir Path tmp;

  @Test
  void storesAreLocationsWithASchemeOtherThanFile() {
    assertThat(Locations.isRemote("s3a://bucket/models/gf")).isTrue();
    assertThat(Locations.isRemote("gs://bucket")).isTrue();
    assertThat(Locations.isRemote("hdfs://namenode:8020/models")).isTrue();
    assertThat(Locations.isRemote("hdfs:///models")).isTrue();
    assertThat(Locations.isRemote("file:///models/gf")).isFalse();
    assertThat(Locations.isRemote("file:/models/gf")).isFalse();
    assertThat(Locations.isRemote("/models/gf")).isFalse();
    assertThat(Locations.isRemote("models/gf")).isFalse();
    assertThat(Locations.isRemote("builtin:geneformer-v1")).isFalse();
    assertThat(Locations.isRemote("C://models")).isFalse(); // a drive, not a scheme
    assertThat(Locations.isRemote("gf:v2/model")).isFalse(); // a colon in a relative name
  }

  @Test
  void aFolderIsCopiedWithoutItsSubfoldersOncePerVersion() throws Exception {
    Path model = Files.createDirectories(tmp.resolve("store/tiny model"));
    Files.writeString(model.resolve("config.json"), "{}");
    Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Files.createDirectories(model.resolve("checkpoint-500"));
    Files.writeString(model.resolve("checkpoint-500/optimizer.pt"), "large");
    String location = "file://" + model; // a Hadoop path string, as users write them

    Path copy = RemoteCopies.folderOrFile(location, new Configuration(), "Model");
    assertThat(copy.getFileName().toString()).isEqualTo("tiny model");
    assertThat(copy).isNotEqualTo(model);
    try (var files = Files.list(copy)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("config.json", "model.safetensors");
    }
    assertThat(Files.readAllBytes(copy.resolve("model.safetensors"))).containsExactly(1, 2, 3);
    assertThat(RemoteCopies.folderOrFile(location, new Configuration(), "Model"))
        .as("the same version, copied once")
        .isEqualTo(copy);

    // A new version of a file (another size and time): copied again; the old copy is left alone.
    Files.write(model.resolve("model.safetensors"), new byte[] {4, 5, 6, 7});
    Files.setLastModifiedTime(
        model.resolve("model.safetensors"), FileTime.from(Instant.now().plusSeconds(60)));
    Path again = RemoteCopies.folderOrFile(location, new Configuration(), "Model");
    assertThat(again).isNotEqualTo(copy);
    assertThat(Files.readAllBytes(again.resolve("model.safetensors"))).containsExactly(4, 5, 6, 7);
    assertThat(Files.readAllBytes(copy.resolve("model.safetensors"))).containsExactly(1, 2, 3);
  }

  @Test
  void aFileIsCopiedWithTheConfigBesideIt() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("store/exported"));
    Files.writeString(folder.resolve("config.json"), "{\"hidden_size\": 8}");
    Files.write(folder.resolve("model.pt"), new byte[] {9});
    Files.write(folder.resolve("other.pt"), new byte[] {8});

    Path copy =
        RemoteCopies.folderOrFile(
            "file://" + folder.resolve("model.pt"), new Configuration(), "Model");
    assertThat(copy.getFileName().toString()).isEqualTo("model.pt");
    assertThat(Files.readAllBytes(copy)).containsExactly(9);
    try (var files = Files.list(copy.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("model.pt", "config.json");
    }
  }

  /** A sharded checkpoint named by its index: the shards beside it come along. */
  @Test
  void anIndexIsCopiedWithItsShards() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("store/sharded"));
    Files.writeString(folder.resolve("config.json"), "{}");
    Files.writeString(folder.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
    Files.write(folder.resolve("model-00001-of-00002.safetensors"), new byte[] {1});
    Files.write(folder.resolve("model-00002-of-00002.safetensors"), new byte[] {2});

    Path copy =
        RemoteCopies.folderOrFile(
            "file://" + folder.resolve("model.safetensors.index.json"),
            new Configuration(),
            "Model");
    assertThat(copy.getFileName().toString()).isEqualTo("model.safetensors.index.json");
    try (var files = Files.list(copy.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "config.json",
              "model.safetensors.index.json",
              "model-00001-of-00002.safetensors",
              "model-00002-of-00002.safetensors");
    }
    assertThat(Files.readAllBytes(copy.resolveSibling("model-00002-of-00002.safetensors")))
        .containsExactly(2);
  }

  @Test
  void copiesOfJvmsThatEndedWithoutDeletingThemAreDeleted() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    Path base = Files.createDirectories(tmp.resolve("cellspark-copies"));
    Path killed = Files.createDirectories(base.resolve("jvm-" + ended.pid() + "-1/abc/model"));
    Files.write(killed.resolve("model.safetensors"), new byte[] {1});
    Path running =
        Files.createDirectories(base.resolve("jvm-" + ProcessHandle.current().pid() + "-2"));
    Path other = Files.createDirectories(base.resolve("not-a-copy"));

    RemoteCopies.deleteLeftBehind(base);
    assertThat(base.resolve("jvm-" + ended.pid() + "-1")).doesNotExist();
    assertThat(running).exists();
    assertThat(other).exists();
  }

  @Test
  void aLocationThatIsNotThereIsRefusedNamingIt() {
    String missing = "file://" + tmp.resolve("store/none");
    assertThatThrownBy(
            () -> RemoteCopies.folderOrFile(missing, new Configuration(), "Vocabulary folder"))
        .isInstanceOf(UserException.class)
        .hasMessage("Vocabulary folder " + missing + " does not exist");
  }
}
