package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.cellspark.infer.Pooling;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * One fine-tuning step equals PyTorch's (make_training_step_reference.py: an nn.Module BERT with
 * the same weights, the same mean-pooled linear head, weighted cross-entropy and torch.optim.AdamW
 * grouped as Hugging Face's Trainer groups it): the loss, the gradients of encoder and head
 * weights, and every watched weight after the update, within 1e-5.
 */
class TrainingStepTest {
  private static float[] floats(JsonArray a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsFloat();
    }
    return out;
  }

  private static void close(String what, float[] got, JsonArray want) {
    assertThat(got).as(what).hasSize(want.size());
    double scale = 0;
    double worst = 0;
    for (int i = 0; i < got.length; i++) {
      scale = Math.max(scale, Math.abs(want.get(i).getAsDouble()));
      worst = Math.max(worst, Math.abs(got[i] - want.get(i).getAsDouble()));
    }
    assertThat(worst).as(what).isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
  }

  @Test
  void oneStepEqualsPyTorchs() throws Exception {
    JsonObject ref =
        JsonParser.parseString(
                Files.readString(Fixtures.vocab("models/training_step_reference.json")))
            .getAsJsonObject();
    JsonObject s = ref.getAsJsonObject("settings");
    List<int[]> cells = new ArrayList<>();
    for (var cell : ref.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    int[] labels =
        s.getAsJsonArray("labels").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    TrainingBatch batch =
        TrainingBatch.of(cells, labels, s.get("cls_id").getAsInt(), s.get("eos_id").getAsInt());
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model =
          new CellClassifier(
              encoder,
              Pooling.MEAN,
              s.get("cls_id").getAsInt(),
              s.get("eos_id").getAsInt(),
              floats(ref.getAsJsonObject("initial_head").getAsJsonArray("weight")),
              floats(ref.getAsJsonObject("initial_head").getAsJsonArray("bias")));
      Map<String, NDArray> byName =
          model.weights().stream()
              .collect(
                  Collectors.toMap(
                      TrainableBert.NamedWeight::name, TrainableBert.NamedWeight::value));
      AdamW adam =
          new AdamW(
              s.get("lr").getAsDouble(),
              s.getAsJsonArray("betas").get(0).getAsDouble(),
              s.getAsJsonArray("betas").get(1).getAsDouble(),
              s.get("eps").getAsDouble(),
              s.get("weight_decay").getAsDouble());
      JsonObject gradients = ref.getAsJsonObject("gradients");
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray loss =
              WeightedCrossEntropy.loss(
                  model.logits(m, batch), labels, floats(s.getAsJsonArray("class_weights")));
          assertThat(loss.getFloat()).isCloseTo(ref.get("loss").getAsFloat(), within(1e-5f));
          collector.backward(loss);
        }
        for (String name : gradients.keySet()) {
          close(
              "gradient of " + name,
              byName.get(name).getGradient().toFloatArray(),
              gradients.getAsJsonArray(name));
        }
        adam.step(model.weights(), Double.NaN);
      }
      JsonObject updated = ref.getAsJsonObject("updated");
      for (String name : updated.keySet()) {
        close("updated " + name, byName.get(name).toFloatArray(), updated.getAsJsonArray(name));
      }
      assertThat(byName.get("head.weight").getGradient().abs().sum().getFloat())
          .as("gradients zeroed after the step")
          .isZero();
    }
  }
}
