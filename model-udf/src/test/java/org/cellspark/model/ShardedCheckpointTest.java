package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints split in shards as transformers' save_pretrained splits a model larger than its
 * max_shard_size (make_sharded_checkpoint_fixtures.py: tiny-v2 in three shards, as safetensors and
 * as PyTorch checkpoints, each beside its index) read tensor for tensor as the same model in one
 * file; a folder without every shard, or an index that does not fit its shards, refused by name.
 * (EncoderTest runs both through every engine against PyTorch's hidden states.)
 */
class ShardedCheckpointTest {
  @TempDir Path tmp;

  private static final Path SHARDED = Fixtures.vocab("checkpoints/tiny-v2-sharded");
  private static final Path SHARDED_BIN = Fixtures.vocab("checkpoints/tiny-v2-sharded-bin");
  private static final Path WHOLE = ModelFixtures.model("tiny-v2");

  @Test
  void safetensorsShardsReadAsTheWholeFile() {
    ModelLoader.ModelFiles files = ModelLoader.ModelFiles.at(SHARDED);
    assertThat(files.weights().getFileName().toString()).isEqualTo("model.safetensors.index.json");
    assertThat(files.torchScript()).isFalse();
    WeightsFile sharded = WeightsFile.open(files.weights());
    WeightsFile whole = WeightsFile.open(WHOLE.resolve("model.safetensors"));
    assertThat(sharded.format()).isEqualTo("safetensors in 3 shards");
    assertThat(sharded.tensors().keySet()).isEqualTo(whole.tensors().keySet());
    TorchCheckpointTest.assertSameTensors(sharded, whole);
    // Each tensor is read from its own shard: the word embeddings from the first, the head from
    // the last (save_pretrained's order).
    assertThat(sharded.fileOf("bert.embeddings.word_embeddings.weight").getFileName().toString())
        .isEqualTo("model-00001-of-00003.safetensors");
    assertThat(sharded.fileOf("cls.predictions.bias").getFileName().toString())
        .isEqualTo("model-00003-of-00003.safetensors");
    assertThat(sharded.metadata()).containsEntry("format", "pt");
  }

  @Test
  void pytorchShardsReadAsTheWholeFileWithTheTiedHead() {
    WeightsFile sharded =
        WeightsFile.open(ModelLoader.ModelFiles.at(SHARDED_BIN).weights()); // the index
    WeightsFile whole = WeightsFile.open(WHOLE.resolve("model.safetensors"));
    assertThat(sharded.format()).isEqualTo("PyTorch checkpoint in 3 shards");
    TorchCheckpointTest.assertSameTensors(sharded, whole);
    // The decoder, tied to the word embeddings, is saved in their shard as one storage.
    assertThat(sharded.tensors()).hasSize(whole.tensors().size() + 2);
    assertThat(sharded.floatArray("cls.predictions.decoder.weight"))
        .containsExactly(whole.floatArray("bert.embeddings.word_embeddings.weight"));
    assertThat(sharded.floatArray("cls.predictions.decoder.bias"))
        .containsExactly(whole.floatArray("cls.predictions.bias"));
  }

  @Test
  void theHeadAndTheReportComeFromShardsToo() {
    for (Path sharded : new Path[] {SHARDED, SHARDED_BIN}) {
      MaskedLmHeadWeights head = MaskedLmHeadWeights.of(sharded, 1);
      MaskedLmHeadWeights whole = MaskedLmHeadWeights.of(WHOLE, 1);
      assertThat(head.fromCheckpoint()).isTrue();
      assertThat(head.denseWeight()).containsExactly(whole.denseWeight());
      assertThat(head.bias()).containsExactly(whole.bias());
      ModelLoader.Inspection inspection = ModelLoader.inspect(sharded);
      assertThat(inspection.weightsFile().getFileName().toString()).endsWith(".index.json");
      assertThat(inspection.weights().parameters())
          .isEqualTo(ModelLoader.inspect(WHOLE).weights().parameters());
      assertThat(ModelLoader.readConfig(inspection.weightsFile()).numLayers()).isEqualTo(2);
    }
  }

  /** transformers' order: a whole file before shards, safetensors before PyTorch. */
  @Test
  void aFolderPrefersAWholeFileAndSafetensors() throws IOException {
    Path both = copy(SHARDED, "both");
    Files.copy(WHOLE.resolve("model.safetensors"), both.resolve("model.safetensors"));
    assertThat(ModelLoader.ModelFiles.at(both).weights().getFileName().toString())
        .isEqualTo("model.safetensors");
    Path mixed = copy(SHARDED_BIN, "mixed");
    try (Stream<Path> shards = Files.list(SHARDED)) {
      for (Path f : shards.filter(f -> !f.endsWith("config.json")).toList()) {
        Files.copy(f, mixed.resolve(f.getFileName()));
      }
    }
    assertThat(ModelLoader.ModelFiles.at(mixed).weights().getFileName().toString())
        .isEqualTo("model.safetensors.index.json");
    // The index itself may be named, as a weights file may.
    assertThat(
            ModelLoader.ModelFiles.at(SHARDED_BIN.resolve("pytorch_model.bin.index.json"))
                .weights())
        .isEqualTo(SHARDED_BIN.resolve("pytorch_model.bin.index.json").toAbsolutePath());
  }

  @Test
  void aMissingShardIsNamedWithTheOthers() throws IOException {
    Path model = copy(SHARDED, "partial");
    Files.delete(model.resolve("model-00002-of-00003.safetensors"));
    assertThatThrownBy(() -> ModelLoader.inspect(model))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("model.safetensors.index.json is split in 3 shards, and")
        .hasMessageContaining("model-00002-of-00003.safetensors, which holds")
        .hasMessageContaining("is not beside it")
        .hasMessageContaining(
            "(model-00001-of-00003.safetensors to model-00003-of-00003.safetensors)");
  }

  @Test
  void anIndexThatDoesNotFitItsShardsIsRefused() throws IOException {
    Path model = copy(SHARDED, "mismatched");
    Path index = model.resolve("model.safetensors.index.json");
    String json = Files.readString(index);
    // The word embeddings moved, in the index only, to the last shard.
    Files.writeString(
        index,
        json.replace(
            "\"bert.embeddings.word_embeddings.weight\": \"model-00001-of-00003.safetensors\"",
            "\"bert.embeddings.word_embeddings.weight\": \"model-00003-of-00003.safetensors\""));
    assertThatThrownBy(() -> WeightsFile.open(index))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "names model-00003-of-00003.safetensors as the shard that holds tensor"
                + " 'bert.embeddings.word_embeddings.weight', but that shard does not hold it")
        .hasMessageContaining("from different saves");

    Files.writeString(index, "{\"metadata\": {\"total_size\": 1}}");
    assertThatThrownBy(() -> WeightsFile.open(index))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not a sharded checkpoint's index: it has no weight_map");
    Files.writeString(index, "not json {");
    assertThatThrownBy(() -> WeightsFile.open(index))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is not a sharded checkpoint's index: not a JSON object");
    Files.writeString(index, "{\"weight_map\": {\"a\": \"../model.safetensors\"}}");
    assertThatThrownBy(() -> WeightsFile.open(index))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("names '../model.safetensors' as a shard; shards are files beside");
  }

  @Test
  void aShardThatIsAGitLfsPointerIsNamed() throws IOException {
    Path model = copy(SHARDED, "lfs");
    Files.writeString(
        model.resolve("model-00003-of-00003.safetensors"),
        "version https://git-lfs.github.com/spec/v1\n"
            + "oid sha256:4d7f7e0a5b8c1f2e3d4c5b6a79881726354433221100ffeeddccbbaa99887766\n"
            + "size 18504\n");
    assertThatThrownBy(() -> ModelLoader.inspect(model))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("model-00003-of-00003.safetensors is a Git LFS pointer");
  }

  private Path copy(Path folder, String name) throws IOException {
    Path to = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }
}
