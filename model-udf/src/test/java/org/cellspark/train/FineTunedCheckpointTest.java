package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cellspark.infer.Pooling;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.TrainableBert;
import org.cellspark.model.WeightsFile;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tuned folder is a Hugging Face sequence-classification checkpoint: its config names the
 * architecture, the labels and the pooling; its safetensors file holds the encoder under {@code
 * bert.} and the head as {@code classifier.*}, byte for byte the trained values, and loads again as
 * a checkpoint (for embed, for more training).
 */
class FineTunedCheckpointTest {
  @TempDir Path tmp;

  @Test
  void writesAHuggingFaceClassifierFolderThatLoadsAgain() throws Exception {
    Path base = Fixtures.vocab("models/tiny-v2");
    float[] head = new float[2 * 32];
    for (int i = 0; i < head.length; i++) {
      head[i] = i / 100f;
    }
    Path out = tmp.resolve("ft");
    float[] wordEmbeddings;
    try (TrainableBert encoder = TrainableBert.load(base, Device.cpu())) {
      CellClassifier model =
          new CellClassifier(encoder, Pooling.CLS, 2, 3, head, new float[] {0.5f, -0.5f});
      wordEmbeddings = encoder.weights().get(0).value().toFloatArray();
      FineTunedCheckpoint.write(
          out, model, base.resolve("config.json"), List.of("B cell", "T cell"));
    }
    JsonObject config =
        JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
    assertThat(config.getAsJsonArray("architectures").get(0).getAsString())
        .isEqualTo("BertForSequenceClassification");
    assertThat(config.getAsJsonObject("id2label").get("1").getAsString()).isEqualTo("T cell");
    assertThat(config.getAsJsonObject("label2id").get("B cell").getAsInt()).isZero();
    assertThat(config.get("cellspark_pooling").getAsString()).isEqualTo("cls");
    assertThat(config.get("hidden_size").getAsInt()).isEqualTo(32);

    WeightsFile file = WeightsFile.open(out.resolve("model.safetensors"));
    // As the safetensors library writes: metadata saying PyTorch (transformers checks it), the
    // header a JSON object padded so that the data starts at a multiple of 8 bytes.
    assertThat(file.metadata()).containsEntry("format", "pt");
    byte[] raw = Files.readAllBytes(out.resolve("model.safetensors"));
    long headerLength = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat((8 + headerLength) % 8).isZero();
    assertThat((char) raw[8]).isEqualTo('{');
    assertThat(file.tensors())
        .containsKeys(
            "bert.embeddings.word_embeddings.weight",
            "bert.encoder.layer.1.output.LayerNorm.bias",
            "classifier.weight",
            "classifier.bias");
    float[] classifier = new float[head.length];
    file.floats("classifier.weight").get(classifier);
    assertThat(classifier).containsExactly(head);
    float[] words = new float[wordEmbeddings.length];
    file.floats("bert.embeddings.word_embeddings.weight").get(words);
    assertThat(words).containsExactly(wordEmbeddings);
    assertThat(ModelLoader.readConfig(out).numLayers()).isEqualTo(2);
    try (TrainableBert again = TrainableBert.load(out, Device.cpu())) {
      assertThat(again.weights().get(0).value().toFloatArray()).containsExactly(wordEmbeddings);
    }
  }

  @Test
  void writesAMaskedLanguageModelFolderWhoseHeadReadsBack() throws Exception {
    Path base = Fixtures.vocab("models/tiny-v2");
    Path out = tmp.resolve("pretrained");
    MaskedLmHeadWeights head = MaskedLmHeadWeights.initial(ModelLoader.readConfig(base), 0.5, 9);
    try (TrainableBert encoder = TrainableBert.load(base, Device.cpu())) {
      FineTunedCheckpoint.write(
          out, new MaskedLanguageModel(encoder, head), base.resolve("config.json"));
    }
    JsonObject config =
        JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
    assertThat(config.getAsJsonArray("architectures").get(0).getAsString())
        .isEqualTo("BertForMaskedLM");
    assertThat(config.has("id2label")).isFalse();
    WeightsFile file = WeightsFile.open(out.resolve("model.safetensors"));
    assertThat(file.tensors())
        .containsKeys(
            "bert.embeddings.word_embeddings.weight",
            "cls.predictions.transform.dense.weight",
            "cls.predictions.transform.LayerNorm.weight",
            "cls.predictions.bias")
        .as("tied to the word embeddings: left out, as transformers leaves them out")
        .doesNotContainKeys("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")
        .doesNotContainKeys("classifier.weight", "classifier.bias");
    MaskedLmHeadWeights again = MaskedLmHeadWeights.of(out, 0);
    assertThat(again.fromCheckpoint()).isTrue();
    assertThat(again.denseWeight()).containsExactly(head.denseWeight());
    assertThat(again.bias()).containsExactly(head.bias());
  }
}
