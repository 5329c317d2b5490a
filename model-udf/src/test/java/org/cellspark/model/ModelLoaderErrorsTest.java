package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderErrorsTest {
  @TempDir Path tmp;

  private Path copyOfTinyV2() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    for (String f : new String[] {"config.json", "model.safetensors"}) {
      Files.copy(ModelFixtures.model("tiny-v2").resolve(f), dir.resolve(f));
    }
    return dir;
  }

  @Test
  void aConfigThatDisagreesWithTheWeightsIsNamed() throws IOException {
    Path dir = copyOfTinyV2();
    String config =
        Files.readString(dir.resolve("config.json"))
            .replace("\"hidden_size\": 32", "\"hidden_size\": 64");
    Files.writeString(dir.resolve("config.json"), config);
    assertThatThrownBy(() -> ModelLoader.load(dir, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "config.json says the weight 'bert.embeddings.word_embeddings.weight' should be [34,"
                + " 64]")
        .hasMessageContaining("holds [34, 32]");
  }

  @Test
  void aSafetensorsHeaderThatLiesAboutOffsetsIsRefused() throws IOException {
    Path dir = copyOfTinyV2();
    Path file = dir.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(file);
    // Truncate the data: the header now points past the end of the file.
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
    assertThatThrownBy(() -> ModelLoader.load(dir, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("model.safetensors: tensor '")
        .hasMessageContaining("the file is truncated or its header is wrong");
  }

  @Test
  void aSafetensorsHeaderThatLiesAboutSizesIsRefused() throws IOException {
    Path file = tmp.resolve("bad.safetensors");
    String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,8]}}";
    writeSafetensors(file, header, new byte[8]);
    assertThatThrownBy(() -> WeightsFile.open(file))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "tensor 'a' (F32, shape [2, 3]) should take 24 bytes but its header gives 8");

    Path overlap = tmp.resolve("overlap.safetensors");
    writeSafetensors(
        overlap,
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        new byte[12]);
    assertThatThrownBy(() -> WeightsFile.open(overlap))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("tensors 'a' and 'b' overlap");

    Path huge = tmp.resolve("huge.safetensors");
    Files.write(
        huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    assertThatThrownBy(() -> WeightsFile.open(huge))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("header claims 1099511627776 bytes in a 16-byte file");
  }

  @Test
  void readsHalfPrecisionWeights() throws IOException {
    Path file = tmp.resolve("half.safetensors");
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3C00)
        .putShort((short) 0xC000)
        .putShort((short) 0x3F80)
        .putShort((short) 0x0001);
    writeSafetensors(
        file,
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}",
        data.array());
    WeightsFile f = WeightsFile.open(file);
    var h = f.floats("h");
    assertThat(h.get(0)).isEqualTo(1.0f);
    assertThat(h.get(1)).isEqualTo(-2.0f);
    var b = f.floats("b");
    assertThat(b.get(0)).isEqualTo(1.0f); // bf16 0x3F80
    assertThat(b.get(1)).isEqualTo(Float.intBitsToFloat(0x00010000));
  }

  @Test
  void foldersWithoutAModelAndModelsWithoutAConfigAreNamed() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> ModelLoader.load(empty, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "has none of model.safetensors, pytorch_model.bin (or their shards' *.index.json)"
                + " and model.pt")
        .hasMessageNotContaining("save_pretrained"); // shards are read: no Python step
    Path lonely = Files.createDirectories(tmp.resolve("lonely"));
    Files.copy(ModelFixtures.model("tiny-v2").resolve("model.pt"), lonely.resolve("model.pt"));
    assertThatThrownBy(() -> ModelLoader.load(lonely.resolve("model.pt"), Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("needs its config.json beside it");
    Path notTorch = tmp.resolve("x/model.pt");
    Files.createDirectories(notTorch.getParent());
    Files.writeString(notTorch, "not a model");
    Files.copy(
        ModelFixtures.model("tiny-v2").resolve("config.json"),
        notTorch.resolveSibling("config.json"));
    assertThatThrownBy(() -> ModelLoader.load(notTorch, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("Cannot load the TorchScript model");
  }

  @Test
  void aNonBertConfigIsRefused() throws IOException {
    Path dir = copyOfTinyV2();
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", \"vocab_size\": 34}");
    assertThatThrownBy(() -> ModelLoader.load(dir, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("describes a 'gpt2' model");
    assertThat(BertConfig.read(ModelFixtures.model("tiny-v1").resolve("config.json")).hiddenAct())
        .isEqualTo("gelu");
  }

  private static void writeSafetensors(Path file, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Files.write(file, b.array());
  }

  /**
   * A Hugging Face clone without its large files leaves Git LFS pointers where the weights and the
   * dictionaries should be: named as such, with the way out, rather than as corrupt files.
   */
  @Test
  void gitLfsPointersAreNamed() throws IOException {
    String pointer =
        "version https://git-lfs.github.com/spec/v1\n"
            + "oid sha256:4d7f7e0a5b8c1f2e3d4c5b6a79881726354433221100ffeeddccbbaa99887766\n"
            + "size 419933716\n";
    for (String weights : java.util.List.of("model.safetensors", "pytorch_model.bin")) {
      Path folder = Files.createDirectories(tmp.resolve("lfs-" + weights));
      Files.copy(
          ModelFixtures.model("tiny-v2").resolve("config.json"), folder.resolve("config.json"));
      Files.writeString(folder.resolve(weights), pointer);
      assertThatThrownBy(() -> ModelLoader.load(folder, Device.cpu()))
          .isInstanceOf(UserException.class)
          .hasMessageContaining(folder.resolve(weights) + " is a Git LFS pointer")
          .hasMessageContaining("git lfs pull");
      assertThatThrownBy(() -> ModelLoader.inspect(folder))
          .isInstanceOf(UserException.class)
          .hasMessageContaining("is a Git LFS pointer");
    }
    Path vocabulary = Files.createDirectories(tmp.resolve("lfs-vocabulary"));
    Files.writeString(vocabulary.resolve("token_dictionary_gc104M.pkl"), pointer);
    assertThatThrownBy(
            () ->
                org.cellspark.vocab.DictionaryFileReader.read(
                    vocabulary.resolve("token_dictionary_gc104M.pkl")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("token_dictionary_gc104M.pkl is a Git LFS pointer");
  }

  /**
   * A folder above the models (a repository clone, a Hugging Face cache's
   * models--ctheodoris--Geneformer) is refused naming the model folders below it.
   */
  @Test
  void aFolderAboveModelsNamesThem() throws IOException {
    Path cache = tmp.resolve("models--ctheodoris--Geneformer");
    Path snapshot = Files.createDirectories(cache.resolve("snapshots/0a1b2c/Geneformer-V2-104M"));
    Files.copy(
        ModelFixtures.model("tiny-v2").resolve("config.json"), snapshot.resolve("config.json"));
    Files.copy(
        ModelFixtures.model("tiny-v2").resolve("model.safetensors"),
        snapshot.resolve("model.safetensors"));
    Files.createDirectories(cache.resolve("refs"));
    assertThatThrownBy(() -> ModelLoader.load(cache, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "Folders below it hold models: pass one of them"
                + " (snapshots/0a1b2c/Geneformer-V2-104M).");
    // The model folder itself loads.
    try (Encoder e = ModelLoader.load(snapshot, Device.cpu())) {
      assertThat(e.config().numLayers()).isEqualTo(2);
    }
  }
}
