package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which tensors of a checkpoint a run warns about: neither the encoder nor a known head. */
class BertWeightsTest {
  @TempDir Path tmp;

  @Test
  void knownHeadsAreNotWarnedAboutAndAnythingElseIs() throws IOException {
    Path file = tmp.resolve("model.safetensors");
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (String name :
          List.of(
              "bert.embeddings.word_embeddings.weight",
              "bert.encoder.layer.0.output.dense.weight",
              "bert.pooler.dense.weight", // pretraining checkpoints (BertForMaskedLM)
              "cls.predictions.bias",
              "classifier.weight", // fine-tuned ones (BertForSequenceClassification)
              "classifier.bias",
              "adapter.lora_A.weight")) { // something a run should say it ignores
        tensors.put(name, m.zeros(new Shape(2, 2)));
      }
      SafetensorsWriter.write(file, Map.of(), tensors);
    }
    BertWeights weights =
        new BertWeights(WeightsFile.open(file), null, "config.json", Precision.FP32);
    assertThat(weights.unexpected()).containsExactly("adapter.lora_A.weight");
  }
}
