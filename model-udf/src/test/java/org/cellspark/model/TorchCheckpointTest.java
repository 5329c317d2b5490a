package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch checkpoints ({@code pytorch_model.bin}) as {@code torch.save} wrote them
 * (make_torch_checkpoint_fixtures.py, PyTorch 1.13) read tensor for tensor as the same model's
 * safetensors, in every precision they ship in; anything beyond a state dict of tensors, and every
 * damaged archive, refused by name.
 */
class TorchCheckpointTest {
  @TempDir Path tmp;

  private static Path checkpoint(String name) {
    return Fixtures.vocab("checkpoints/" + name);
  }

  private static float[] floats(WeightsFile f, String name) {
    FloatBuffer b = f.floats(name);
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  /** Every tensor of {@code expected} is in {@code actual}, of the same shape and values. */
  static void assertSameTensors(WeightsFile actual, WeightsFile expected) {
    for (WeightsFile.Tensor e : expected.tensors().values()) {
      WeightsFile.Tensor a = actual.tensors().get(e.name());
      assertThat(a).as(e.name()).isNotNull();
      assertThat(a.shape()).as(e.name()).containsExactly(e.shape());
      assertThat(floats(actual, e.name())).as(e.name()).containsExactly(floats(expected, e.name()));
    }
  }

  @Test
  void aMaskedLmCheckpointReadsAsItsSafetensors() {
    WeightsFile bin = WeightsFile.open(checkpoint("tiny-v2-bin/pytorch_model.bin"));
    WeightsFile safetensors =
        WeightsFile.open(ModelFixtures.model("tiny-v2").resolve("model.safetensors"));
    assertThat(bin.format()).isEqualTo("PyTorch checkpoint");
    assertThat(safetensors.format()).isEqualTo("safetensors");
    assertSameTensors(bin, safetensors);
    // The tied decoder shares the word embeddings' storage: one byte range, the same values.
    WeightsFile.Tensor words = bin.tensors().get("bert.embeddings.word_embeddings.weight");
    WeightsFile.Tensor decoder = bin.tensors().get("cls.predictions.decoder.weight");
    assertThat(decoder.begin()).isEqualTo(words.begin());
    assertThat(decoder.end()).isEqualTo(words.end());
    assertThat(bin.tensors().get("cls.predictions.decoder.bias").begin())
        .isEqualTo(bin.tensors().get("cls.predictions.bias").begin());
    // The position_ids buffer older transformers saved: int64, carried but never read as weights.
    WeightsFile.Tensor positions = bin.tensors().get("bert.embeddings.position_ids");
    assertThat(positions.dtype()).isEqualTo("I64");
    assertThat(positions.shape()).containsExactly(1, 64);
    assertThatThrownBy(() -> bin.floats("bert.embeddings.position_ids"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is I64; model weights must be F32, F16 or BF16");
    assertThat(bin.tensors()).hasSize(safetensors.tensors().size() + 3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"fp16", "bf16"})
  void halfPrecisionCheckpointsReadAsPyTorchWidensThem(String precision) {
    WeightsFile bin = WeightsFile.open(checkpoint("tiny-v1-" + precision + ".bin"));
    WeightsFile widened =
        WeightsFile.open(checkpoint("tiny-v1-" + precision + ".expected.safetensors"));
    assertThat(bin.tensors().values())
        .extracting(WeightsFile.Tensor::dtype)
        .containsOnly(precision.equals("fp16") ? "F16" : "BF16");
    assertSameTensors(bin, widened);
    assertThat(bin.tensors()).hasSameSizeAs(widened.tensors());
  }

  @Test
  void parametersAreTheirTensors() {
    WeightsFile bin = WeightsFile.open(checkpoint("parameters.bin"));
    WeightsFile v1 = WeightsFile.open(ModelFixtures.model("tiny-v1").resolve("model.safetensors"));
    assertThat(bin.tensors()).hasSize(3);
    for (String name : bin.tensors().keySet()) {
      assertThat(floats(bin, name)).as(name).containsExactly(floats(v1, name));
    }
  }

  @Test
  void theMaskedLmHeadAndTheReportComeFromACheckpointToo() {
    Path bin = checkpoint("tiny-v2-bin");
    Path safetensors = ModelFixtures.model("tiny-v2");
    MaskedLmHeadWeights fromBin = MaskedLmHeadWeights.of(bin, 1);
    MaskedLmHeadWeights fromSafetensors = MaskedLmHeadWeights.of(safetensors, 1);
    assertThat(fromBin.fromCheckpoint()).isTrue();
    assertThat(fromBin.denseWeight()).containsExactly(fromSafetensors.denseWeight());
    assertThat(fromBin.bias()).containsExactly(fromSafetensors.bias());
    ModelLoader.Inspection inspection = ModelLoader.inspect(bin);
    assertThat(inspection.weightsFile().getFileName().toString()).isEqualTo("pytorch_model.bin");
    assertThat(inspection.weights().parameters())
        .isEqualTo(ModelLoader.inspect(safetensors).weights().parameters());
    assertThat(inspection.weights().ignored()).isEmpty();
  }

  @Test
  void aFolderPrefersSafetensorsAndAPtFileIsTorchScriptOnlyWithCode() throws IOException {
    Path both = Files.createDirectories(tmp.resolve("both"));
    Path v2 = ModelFixtures.model("tiny-v2");
    Files.copy(v2.resolve("config.json"), both.resolve("config.json"));
    Files.copy(v2.resolve("model.safetensors"), both.resolve("model.safetensors"));
    Files.copy(checkpoint("tiny-v2-bin/pytorch_model.bin"), both.resolve("pytorch_model.bin"));
    assertThat(ModelLoader.ModelFiles.at(both).weights().getFileName().toString())
        .isEqualTo("model.safetensors");
    ModelLoader.ModelFiles stateDict = ModelLoader.ModelFiles.at(checkpoint("tiny-v1-pt"));
    assertThat(stateDict.torchScript()).isFalse();
    assertThat(stateDict.weights().getFileName().toString()).isEqualTo("model.pt");
    assertThat(ModelLoader.ModelFiles.at(v2.resolve("model.pt")).torchScript()).isTrue();
  }

  @Test
  void aPickleThatWouldRunCodeIsRefusedNamingWhatItCalls() {
    Path file = checkpoint("refused/code.bin");
    assertThatThrownBy(() -> WeightsFile.open(file))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("it asks Python to call posix.system")
        .hasMessageContaining("weights_only=True");
  }

  @Test
  void theFormatBeforePyTorch16IsNamedWithTheWayOut() {
    Path file = checkpoint("refused/legacy.bin");
    assertThatThrownBy(() -> WeightsFile.open(file))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("before version 1.6")
        .hasMessageContaining("torch.save");
  }

  @Test
  void aStridedTensorIsNamed() {
    assertThatThrownBy(() -> WeightsFile.open(checkpoint("refused/strided.bin")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("tensor 'pooler.dense.weight' is stored as a strided view")
        .hasMessageContaining("strides [1, 32]")
        .hasMessageContaining(".contiguous()");
  }

  @Test
  void aTrainingCheckpointIsNotAStateDict() {
    assertThatThrownBy(() -> WeightsFile.open(checkpoint("refused/training.bin")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "holds more than tensors ('epoch' is the number 3, 'model' is a dict of 39 entries)")
        .hasMessageContaining("state_dict()");
  }

  @Test
  void damagedArchivesAreNamed() throws IOException {
    Path source = checkpoint("tiny-v1-bin/pytorch_model.bin");
    Path missing = tmp.resolve("missing.bin");
    rewrite(source, missing, name -> !name.endsWith("/data/3"), ZipEntry.STORED);
    assertThatThrownBy(() -> WeightsFile.open(missing))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("(data/3) are missing from the archive");

    Path deflated = tmp.resolve("deflated.bin");
    rewrite(source, deflated, name -> true, ZipEntry.DEFLATED);
    assertThatThrownBy(() -> WeightsFile.open(deflated))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("are compressed in the archive");

    Path notACheckpoint = tmp.resolve("other.bin");
    rewrite(source, notACheckpoint, name -> name.endsWith("/version"), ZipEntry.STORED);
    assertThatThrownBy(() -> WeightsFile.open(notACheckpoint))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is a zip archive but not a PyTorch checkpoint (no <name>/data.pkl");

    // PyTorch 2.1 and later add <name>/byteorder; "little" is what every x86 or ARM machine writes.
    Path little = tmp.resolve("little.bin");
    rewrite(source, little, name -> true, ZipEntry.STORED, "little");
    assertThat(WeightsFile.open(little).tensors()).hasSize(39);
    Path big = tmp.resolve("big.bin");
    rewrite(source, big, name -> true, ZipEntry.STORED, "big");
    assertThatThrownBy(() -> WeightsFile.open(big))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("was saved on a big-endian machine");

    Path truncated = tmp.resolve("truncated.bin");
    byte[] whole = Files.readAllBytes(source);
    Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> WeightsFile.open(truncated))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("Cannot read " + truncated);
  }

  private static void rewrite(Path from, Path to, Predicate<String> keep, int method)
      throws IOException {
    rewrite(from, to, keep, method, null);
  }

  /**
   * Copies the archive's entries that {@code keep} accepts, each written with {@code method}, and a
   * {@code byteorder} record holding {@code byteOrder} unless it is null.
   */
  private static void rewrite(
      Path from, Path to, Predicate<String> keep, int method, String byteOrder) throws IOException {
    try (ZipFile in = new ZipFile(from.toFile());
        OutputStream file = Files.newOutputStream(to);
        ZipOutputStream out = new ZipOutputStream(file)) {
      List<? extends ZipEntry> entries = Collections.list(in.entries());
      for (ZipEntry e : entries) {
        if (!keep.test(e.getName())) {
          continue;
        }
        byte[] bytes;
        try (InputStream s = in.getInputStream(e)) {
          bytes = s.readAllBytes();
        }
        ZipEntry copy = new ZipEntry(e.getName());
        copy.setMethod(method);
        if (method == ZipEntry.STORED) {
          CRC32 crc = new CRC32();
          crc.update(bytes);
          copy.setSize(bytes.length);
          copy.setCompressedSize(bytes.length);
          copy.setCrc(crc.getValue());
        }
        out.putNextEntry(copy);
        out.write(bytes);
        out.closeEntry();
      }
      if (byteOrder != null) {
        out.putNextEntry(new ZipEntry("pytorch_model/byteorder"));
        out.write(byteOrder.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.closeEntry();
      }
    }
  }
}
