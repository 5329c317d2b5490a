package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The masked-LM head is read from a BertForMaskedLM checkpoint as it holds it, started anew (as
 * transformers initialises it) for one without, and refused when partial or untied; a new model
 * from a config alone is initialised as transformers initialises BERT.
 */
class MaskedLmHeadWeightsTest {
  @TempDir Path tmp;

  private static float[] floats(WeightsFile f, String name) {
    FloatBuffer b = f.floats(name);
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void readsTheHeadOfAMaskedLmCheckpoint() {
    Path model = Fixtures.vocab("models/tiny-v2");
    WeightsFile file = WeightsFile.open(model.resolve("model.safetensors"));
    MaskedLmHeadWeights h = MaskedLmHeadWeights.of(model, 1);
    assertThat(h.fromCheckpoint()).isTrue();
    assertThat(h.denseWeight())
        .containsExactly(floats(file, "cls.predictions.transform.dense.weight"));
    assertThat(h.normWeight())
        .containsExactly(floats(file, "cls.predictions.transform.LayerNorm.weight"));
    assertThat(h.bias()).containsExactly(floats(file, "cls.predictions.bias"));
  }

  @Test
  void startsANewHeadForAnEncoderWithout() {
    MaskedLmHeadWeights h = MaskedLmHeadWeights.of(Fixtures.vocab("models/tiny-v1"), 3);
    assertThat(h.fromCheckpoint()).isFalse();
    assertThat(h.bias()).hasSize(32).containsOnly(0f);
    assertThat(h.denseBias()).hasSize(32).containsOnly(0f);
    assertThat(h.normWeight()).containsOnly(1f);
    assertThat(h.normBias()).containsOnly(0f);
    SummaryStatistics s = new SummaryStatistics();
    for (float v : h.denseWeight()) {
      s.addValue(v);
    }
    assertThat(s.getN()).isEqualTo(32 * 32);
    assertThat(s.getStandardDeviation()).isCloseTo(0.02, within(0.003));
    assertThat(MaskedLmHeadWeights.of(Fixtures.vocab("models/tiny-v1"), 3).denseWeight())
        .as("the seed decides")
        .containsExactly(h.denseWeight());
  }

  /** tiny-v2 copied with its tensors changed by {@code edit}. */
  private Path edited(java.util.function.Consumer<Map<String, NDArray>> edit) throws Exception {
    Path base = Fixtures.vocab("models/tiny-v2");
    Path out = Files.createTempDirectory(tmp, "edited");
    Files.copy(base.resolve("config.json"), out.resolve("config.json"));
    WeightsFile file = WeightsFile.open(base.resolve("model.safetensors"));
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (WeightsFile.Tensor t : file.tensors().values()) {
        tensors.put(
            t.name(), m.create(floats(file, t.name()), new ai.djl.ndarray.types.Shape(t.shape())));
      }
      edit.accept(tensors);
      SafetensorsWriter.write(out.resolve("model.safetensors"), Map.of(), tensors);
    }
    return out;
  }

  @Test
  void refusesAPartialHead() throws Exception {
    Path model = edited(t -> t.remove("cls.predictions.transform.LayerNorm.bias"));
    assertThatThrownBy(() -> MaskedLmHeadWeights.of(model, 0))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("part of a masked-language-model head")
        .hasMessageContaining("cls.predictions.transform.LayerNorm.bias missing");
  }

  @Test
  void acceptsTiedOutputWeightsAndRefusesUntiedOnes() throws Exception {
    Path tied =
        edited(
            t ->
                t.put(
                    "cls.predictions.decoder.weight",
                    t.get("bert.embeddings.word_embeddings.weight").duplicate()));
    assertThat(MaskedLmHeadWeights.of(tied, 0).fromCheckpoint()).isTrue();
    Path untied =
        edited(
            t ->
                t.put(
                    "cls.predictions.decoder.weight",
                    t.get("bert.embeddings.word_embeddings.weight").mul(2)));
    assertThatThrownBy(() -> MaskedLmHeadWeights.of(untied, 0))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cls.predictions.decoder.weight differs from")
        .hasMessageContaining("tied to the word embeddings");
  }

  @Test
  void aNewModelIsInitialisedAsTransformersInitialisesBert() throws Exception {
    Path folder = tmp.resolve("new");
    BertInitializer.write(Fixtures.vocab("models/tiny-v2/config.json"), folder, 5);
    JsonObject config = BertConfig.json(folder.resolve("config.json"));
    assertThat(config.getAsJsonArray("architectures").get(0).getAsString())
        .isEqualTo("BertForMaskedLM");
    WeightsFile file = WeightsFile.open(folder.resolve("model.safetensors"));
    assertThat(file.tensors()).hasSize(5 + 2 * 16);
    float[] words = floats(file, "bert.embeddings.word_embeddings.weight");
    SummaryStatistics s = new SummaryStatistics();
    for (int i = 0; i < words.length; i++) {
      if (i < 32) {
        assertThat(words[i]).as("<pad>'s row (pad_token_id 0) is zero").isZero();
      } else {
        s.addValue(words[i]);
      }
    }
    assertThat(s.getStandardDeviation()).isCloseTo(0.02, within(0.002));
    assertThat(s.getMean()).isCloseTo(0, within(0.002));
    assertThat(floats(file, "bert.encoder.layer.1.output.LayerNorm.weight")).containsOnly(1f);
    assertThat(floats(file, "bert.encoder.layer.0.attention.self.query.bias")).containsOnly(0f);
    try (TrainableBert loaded = TrainableBert.load(folder, Device.cpu())) {
      assertThat(loaded.weights()).hasSize(5 + 2 * 16);
    }
    Path again = tmp.resolve("again");
    BertInitializer.write(Fixtures.vocab("models/tiny-v2/config.json"), again, 5);
    assertThat(
            Files.mismatch(folder.resolve("model.safetensors"), again.resolve("model.safetensors")))
        .as("the seed decides every weight")
        .isEqualTo(-1L);
  }
}
