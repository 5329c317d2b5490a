package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cellspark.model.ModelFixtures.matrix;
import static org.cellspark.testing.Vectors.maxAbsDiff;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Gpu;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The encoders against PyTorch's own forward pass of the same weights (reference.json): the fused
 * program (the default for a Hugging Face folder), the native DJL forward, and a traced TorchScript
 * file.
 */
class EncoderTest {
  private static final double TOLERANCE = 1e-5;
  private static final java.util.Map<String, Encoder> ENCODERS = new java.util.LinkedHashMap<>();
  private static NDManager inputs;

  @BeforeAll
  static void load() {
    for (String model : List.of("tiny-v2", "tiny-v1")) {
      ENCODERS.put(model, ModelLoader.load(ModelFixtures.model(model), Device.cpu()));
      ENCODERS.put(
          model + "-native",
          ModelLoader.load(
              ModelFixtures.model(model), Device.cpu(), Precision.FP32, ModelLoader.Engine.NATIVE));
    }
    ENCODERS.put(
        "tiny-v2-torchscript",
        ModelLoader.load(ModelFixtures.model("tiny-v2").resolve("model.pt"), Device.cpu()));
    // The same weights as torch.save wrote them (pytorch_model.bin; a state dict named model.pt),
    // and as save_pretrained splits them in shards (safetensors, and PyTorch checkpoints).
    for (String checkpoint :
        List.of(
            "tiny-v2-bin", "tiny-v1-bin", "tiny-v1-pt", "tiny-v2-sharded", "tiny-v2-sharded-bin")) {
      ENCODERS.put(
          checkpoint, ModelLoader.load(Fixtures.vocab("checkpoints/" + checkpoint), Device.cpu()));
    }
    inputs = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  @AfterAll
  static void close() {
    ENCODERS.values().forEach(Encoder::close);
    ENCODERS.clear();
    inputs.close();
  }

  /**
   * Every encoder loaded above: each engine, the TorchScript file, and the same weights as PyTorch
   * checkpoints and in shards.
   */
  static Stream<String> encoders() {
    return Stream.of(
        "tiny-v2",
        "tiny-v1",
        "tiny-v2-native",
        "tiny-v1-native",
        "tiny-v2-torchscript",
        "tiny-v2-bin",
        "tiny-v1-bin",
        "tiny-v1-pt",
        "tiny-v2-sharded",
        "tiny-v2-sharded-bin");
  }

  private static Encoder encoder(String name) {
    return ENCODERS.get(name);
  }

  /** Every layer's hidden states, one cell at a time, equal PyTorch's. */
  @ParameterizedTest
  @MethodSource("encoders")
  void everyHiddenStateMatchesPyTorch(String which) {
    Encoder e = encoder(which);
    JsonObject ref = ModelFixtures.reference(which.startsWith("tiny-v2") ? "tiny-v2" : "tiny-v1");
    assertThat(e.config().numLayers()).isEqualTo(ref.get("layers").getAsInt());
    for (JsonElement c : ref.getAsJsonArray("cells")) {
      JsonObject cell = c.getAsJsonObject();
      long[] ids = ModelFixtures.ids(cell);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray x = inputs.create(ids, new Shape(1, ids.length));
        NDList states = e.hiddenStates(x, inputs.ones(new Shape(1, ids.length)));
        JsonArray expected = cell.getAsJsonArray("hidden_states");
        assertThat(states).hasSize(expected.size());
        for (int layer = 0; layer < states.size(); layer++) {
          float[] actual = states.get(layer).toFloatArray();
          assertThat(maxAbsDiff(actual, matrix(expected.get(layer).getAsJsonArray())))
              .as("%s, cell of %d tokens, hidden state %d", which, ids.length, layer)
              .isLessThanOrEqualTo(TOLERANCE);
          // hiddenState(layer) computes only up to that layer, and agrees.
          assertThat(
                  maxAbsDiff(
                      e.hiddenState(x, inputs.ones(new Shape(1, ids.length)), layer).toFloatArray(),
                      actual))
              .isLessThanOrEqualTo(1e-6);
        }
      }
    }
  }

  /**
   * On a GPU, the fused program (the default engine) gives PyTorch's hidden states too: every layer
   * of every reference cell, and the last layer of the right-padded batch, within the CPU's
   * tolerance.
   */
  @Test
  @Tag(Gpu.TAG)
  void theFusedProgramOnAGpuMatchesPyTorch() {
    Device gpu = Gpu.device();
    for (String model : List.of("tiny-v2", "tiny-v1")) {
      JsonObject ref = ModelFixtures.reference(model);
      try (Encoder e = ModelLoader.load(ModelFixtures.model(model), gpu);
          NDManager m = NDManager.newBaseManager(gpu, "PyTorch")) {
        for (JsonElement c : ref.getAsJsonArray("cells")) {
          long[] ids = ModelFixtures.ids(c.getAsJsonObject());
          Shape shape = new Shape(1, ids.length);
          NDList states = e.hiddenStates(m.create(ids, shape), m.ones(shape));
          JsonArray expected = c.getAsJsonObject().getAsJsonArray("hidden_states");
          for (int layer = 0; layer < states.size(); layer++) {
            assertThat(
                    maxAbsDiff(
                        states.get(layer).toFloatArray(),
                        matrix(expected.get(layer).getAsJsonArray())))
                .as("%s on the GPU, cell of %d tokens, hidden state %d", model, ids.length, layer)
                .isLessThanOrEqualTo(TOLERANCE);
          }
        }
      }
    }
  }

  /** Right-padded batches: padding never changes a real position's output. */
  @ParameterizedTest
  @MethodSource("encoders")
  void paddingDoesNotChangeRealPositions(String which) {
    Encoder e = encoder(which);
    JsonObject ref = ModelFixtures.reference(which.startsWith("tiny-v2") ? "tiny-v2" : "tiny-v1");
    List<long[]> cells = new ArrayList<>();
    for (JsonElement c : ref.getAsJsonArray("cells")) {
      cells.add(ModelFixtures.ids(c.getAsJsonObject()));
    }
    int longest = cells.stream().mapToInt(a -> a.length).max().orElseThrow();
    long[] ids = new long[cells.size() * longest];
    float[] mask = new float[ids.length];
    for (int i = 0; i < cells.size(); i++) {
      for (int j = 0; j < cells.get(i).length; j++) {
        ids[i * longest + j] = cells.get(i)[j];
        mask[i * longest + j] = 1;
      }
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray last =
          e.hiddenState(
              inputs.create(ids, new Shape(cells.size(), longest)),
              inputs.create(mask, new Shape(cells.size(), longest)),
              e.config().numLayers());
      int hidden = e.config().hiddenSize();
      float[] all = last.toFloatArray();
      for (int i = 0; i < cells.size(); i++) {
        int n = cells.get(i).length;
        float[] real =
            java.util.Arrays.copyOfRange(all, i * longest * hidden, (i * longest + n) * hidden);
        assertThat(
                maxAbsDiff(
                    real,
                    matrix(ref.getAsJsonArray("padded_batch_last_layer").get(i).getAsJsonArray())))
            .as("%s cell %d in a padded batch", which, i)
            .isLessThanOrEqualTo(TOLERANCE);
      }
    }
  }

  /** The two loading paths give the same hidden states on the same weights. */
  @Test
  void torchScriptAndNativeAgree() {
    JsonObject cell =
        ModelFixtures.reference("tiny-v2").getAsJsonArray("cells").get(1).getAsJsonObject();
    long[] ids = ModelFixtures.ids(cell);
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray x = inputs.create(ids, new Shape(1, ids.length));
      NDArray m = inputs.ones(new Shape(1, ids.length));
      NDList a = encoder("tiny-v2-native").hiddenStates(x, m);
      NDList b = encoder("tiny-v2-torchscript").hiddenStates(x, m);
      NDList c = encoder("tiny-v2").hiddenStates(x, m);
      for (int layer = 0; layer < a.size(); layer++) {
        assertThat(maxAbsDiff(a.get(layer).toFloatArray(), b.get(layer).toFloatArray()))
            .as("hidden state %d", layer)
            .isLessThanOrEqualTo(TOLERANCE);
        assertThat(maxAbsDiff(a.get(layer).toFloatArray(), c.get(layer).toFloatArray()))
            .as("fused, hidden state %d", layer)
            .isLessThanOrEqualTo(TOLERANCE);
      }
    }
    assertThat(encoder("tiny-v2-native").kind()).isEqualTo("native");
    assertThat(encoder("tiny-v2-torchscript").kind()).isEqualTo("torchscript");
    assertThat(encoder("tiny-v2").kind()).isEqualTo("fused");
  }
}
