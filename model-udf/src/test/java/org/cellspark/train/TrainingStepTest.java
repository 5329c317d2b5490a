package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Gpu;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One fine-tuning step equals PyTorch's (make_training_step_reference.py: an nn.Module BERT with
 * the same weights, the same mean-pooled linear head, weighted cross-entropy and torch.optim.AdamW
 * grouped as Hugging Face's Trainer groups it, after clipping the gradients' global norm as the
 * Trainer does): the loss, the gradients of encoder and head weights, their norm, and every watched
 * weight after the update, within 1e-5. With dropout too: the same step with the reference's rates,
 * its masks drawn from the generator seeded as {@link FineTuner} seeds a run's first step, so
 * PyTorch and libtorch draw the same masks. In bf16 mixed precision the step is PyTorch's fp32 step
 * to bf16's resolution.
 */
class TrainingStepTest {
  private static final JsonObject REF = reference("training_step_reference.json");
  private static final JsonObject SETTINGS = REF.getAsJsonObject("settings");

  /** A reference make_training_step_reference.py wrote under fixtures/models. */
  static JsonObject reference(String name) {
    try {
      return JsonParser.parseString(Files.readString(Fixtures.vocab("models/" + name)))
          .getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void close(String what, float[] got, JsonArray want) {
    assertThat(got).as(what).hasSize(want.size());
    double scale = 0;
    double worst = 0;
    for (int i = 0; i < got.length; i++) {
      scale = Math.max(scale, Math.abs(want.get(i).getAsDouble()));
      worst = Math.max(worst, Math.abs(got[i] - want.get(i).getAsDouble()));
    }
    assertThat(worst).as(what).isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
  }

  private static int[] labels() {
    return SETTINGS.getAsJsonArray("labels").asList().stream()
        .mapToInt(e -> e.getAsInt())
        .toArray();
  }

  /** The reference's batch: its cells, their labels, <cls> and <eos> as the script sets them. */
  private static TrainingBatch batch() {
    List<int[]> cells = new ArrayList<>();
    for (var cell : REF.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    return TrainingBatch.of(
        cells, labels(), SETTINGS.get("cls_id").getAsInt(), SETTINGS.get("eos_id").getAsInt());
  }

  /** The reference's classifier: the tiny V2 model with the head the script started from. */
  private static CellClassifier classifier(TrainableBert encoder) {
    return new CellClassifier(
        encoder,
        Pooling.MEAN,
        SETTINGS.get("cls_id").getAsInt(),
        SETTINGS.get("eos_id").getAsInt(),
        Vectors.floats(REF.getAsJsonObject("initial_head").getAsJsonArray("weight")),
        Vectors.floats(REF.getAsJsonObject("initial_head").getAsJsonArray("bias")));
  }

  private static AdamW adam() {
    return adam(SETTINGS);
  }

  /** The optimizer a reference's settings describe (torch.optim.AdamW's arguments). */
  static AdamW adam(JsonObject settings) {
    return new AdamW(
        settings.get("lr").getAsDouble(),
        settings.getAsJsonArray("betas").get(0).getAsDouble(),
        settings.getAsJsonArray("betas").get(1).getAsDouble(),
        settings.get("eps").getAsDouble(),
        settings.get("weight_decay").getAsDouble());
  }

  /** A classifier's weights by name. */
  static Map<String, NDArray> byName(Classifier<?> model) {
    return model.weights().stream()
        .collect(
            Collectors.toMap(TrainableBert.NamedWeight::name, TrainableBert.NamedWeight::value));
  }

  /** Forward and backward without dropout; the loss (the gradients stay on the weights). */
  private static float lossAndGradients(CellClassifier model) {
    try (NDManager m = model.manager().newSubManager();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss =
          WeightedCrossEntropy.loss(
              model.logits(m, batch(), DropoutRates.NONE),
              labels(),
              Vectors.floats(SETTINGS.getAsJsonArray("class_weights")));
      collector.backward(loss);
      return loss.getFloat();
    }
  }

  @Test
  void oneStepEqualsPyTorchs() {
    oneStep(Device.cpu());
  }

  /**
   * Gradient accumulation: the reference's cells as two batches of two whose gradients add up (each
   * loss halved) before one step, then a step on the first two, end where a step on all four then
   * the same second step end (each cell weighing 1: the mean of two batches' means is the four
   * cells' mean). The second step is there because AdamW's first step does not depend on the
   * gradients' scale: without it, gradients added up but not halved would pass too. One step on the
   * first two cells alone ends elsewhere.
   */
  @Test
  void twoBatchesAccumulatedStepAsTheirUnion() {
    List<int[]> tokens = new ArrayList<>();
    for (var cell : REF.getAsJsonArray("cells")) {
      tokens.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    LabelledCells cells = new LabelledCells(tokens, labels());
    int[] all = {0, 1, 2, 3};
    int[] first = {0, 1};
    int[] second = {2, 3};
    float[] union = afterSteps(cells, List.of(List.of(all), List.of(first)));
    float[] accumulated = afterSteps(cells, List.of(List.of(first, second), List.of(first)));
    float[] firstOnly = afterSteps(cells, List.of(List.of(first), List.of(first)));
    double worst = 0;
    double apart = 0;
    for (int i = 0; i < union.length; i++) {
      worst = Math.max(worst, Math.abs(union[i] - accumulated[i]));
      apart = Math.max(apart, Math.abs(union[i] - firstOnly[i]));
    }
    assertThat(worst).as("accumulated against one step on the union").isLessThan(1e-6);
    assertThat(apart).as("one batch alone steps elsewhere").isGreaterThan(1e-4);
  }

  /**
   * The query weight of layer 0 after the given steps (each its batches, accumulated) from the
   * reference's start, no clipping, each cell weighing 1.
   */
  private static float[] afterSteps(LabelledCells cells, List<List<int[]>> steps) {
    FineTuner.Settings s =
        FineTuner.Settings.builder(new float[] {1, 1}).maxGradNorm(0).seed(1).build();
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model = classifier(encoder);
      AdamW adam = adam();
      for (List<int[]> batches : steps) {
        List<java.util.function.Function<NDManager, NDArray>> losses = new ArrayList<>();
        for (int[] b : batches) {
          losses.add(m -> model.loss(m, cells, b, DropoutRates.NONE, s.classWeights()));
        }
        FineTuner.step(model, losses, model.weights(), adam, SETTINGS.get("lr").getAsDouble(), s);
      }
      return byName(model).get("encoder.layer.0.attention.self.query.weight").toFloatArray();
    }
  }

  /** The same step on a GPU (without dropout: CUDA draws other masks than the CPU). */
  @Test
  @Tag(Gpu.TAG)
  void oneStepOnAGpuEqualsPyTorchs() {
    oneStep(Gpu.device());
  }

  private static void oneStep(Device device) {
    try (TrainableBert encoder = TrainableBert.load(Fixtures.vocab("models/tiny-v2"), device)) {
      CellClassifier model = classifier(encoder);
      Map<String, NDArray> byName = byName(model);
      assertThat(lossAndGradients(model)).isCloseTo(REF.get("loss").getAsFloat(), within(1e-5f));
      gradientsStepAndUpdatesEqual(model, REF);
      assertThat(byName.get("head.weight").getGradient().abs().sum().getFloat())
          .as("gradients zeroed after the step")
          .isZero();
    }
  }

  @Test
  void oneStepWithDropoutEqualsPyTorchs() {
    JsonObject d = REF.getAsJsonObject("dropout");
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model = classifier(encoder);
      double lr = SETTINGS.get("lr").getAsDouble();
      FineTuner.Settings settings = dropoutSettings(REF);
      float loss = FineTuner.step(model, batch(), model.weights(), adam(), lr, settings);
      assertThat(loss).isCloseTo(d.get("loss").getAsFloat(), within(1e-5f));
      assertThat(loss)
          .as("dropout changes the loss")
          .isNotCloseTo(REF.get("loss").getAsFloat(), within(1e-3f));
      updatedEqual(model, d.getAsJsonObject("updated"));
    }
  }

  /**
   * One step of FineTuner on the cells at {@code cells}, with the dropout, seed and optimizer of
   * {@code ref}'s "dropout" part: the loss equals PyTorch's (and is not the loss without dropout),
   * and so do the updated weights.
   */
  static <E extends Examples> void dropoutStepEquals(
      Classifier<E> model, E examples, int[] cells, float[] classWeights, JsonObject ref) {
    JsonObject d = ref.getAsJsonObject("dropout");
    JsonObject settings = ref.getAsJsonObject("settings");
    FineTuner.Settings s = dropoutSettings(ref);
    float loss =
        FineTuner.step(
            model,
            m -> model.loss(m, examples, cells, s.dropout(), classWeights),
            model.weights(),
            adam(settings),
            settings.get("lr").getAsDouble(),
            s);
    assertThat(loss).isCloseTo(d.get("loss").getAsFloat(), within(1e-5f));
    assertThat(loss)
        .as("dropout changes the loss")
        .isNotCloseTo(ref.get("loss").getAsFloat(), within(1e-3f));
    updatedEqual(model, d.getAsJsonObject("updated"));
  }

  /**
   * The gradients {@code model}'s weights hold equal {@code ref}'s; then one clipped AdamW step
   * with its settings: the gradients' norm and the updated weights equal its too.
   */
  static void gradientsStepAndUpdatesEqual(Classifier<?> model, JsonObject ref) {
    Map<String, NDArray> byName = byName(model);
    JsonObject gradients = ref.getAsJsonObject("gradients");
    for (String name : gradients.keySet()) {
      close(
          "gradient of " + name,
          byName.get(name).getGradient().toFloatArray(),
          gradients.getAsJsonArray(name));
    }
    JsonObject settings = ref.getAsJsonObject("settings");
    double norm;
    try (NDManager m = model.manager().newSubManager()) {
      norm =
          adam(settings)
              .step(
                  model.encoder(),
                  model.weights(),
                  Double.NaN,
                  settings.get("max_grad_norm").getAsDouble(),
                  m)
              .getFloat();
    }
    assertThat(norm)
        .as("the gradients' global norm (above 1: clipped)")
        .isCloseTo(ref.get("grad_norm").getAsDouble(), within(1e-5));
    updatedEqual(model, ref.getAsJsonObject("updated"));
  }

  /** Every weight {@code updated} names equals its value there. */
  static void updatedEqual(Classifier<?> model, JsonObject updated) {
    Map<String, NDArray> byName = byName(model);
    for (String name : updated.keySet()) {
      close("updated " + name, byName.get(name).toFloatArray(), updated.getAsJsonArray(name));
    }
  }

  /** Training settings for one step with a reference's optimizer settings and dropout rates. */
  static FineTuner.Settings dropoutSettings(JsonObject ref) {
    JsonObject settings = ref.getAsJsonObject("settings");
    JsonObject rates = ref.getAsJsonObject("dropout").getAsJsonObject("rates");
    return FineTuner.Settings.builder(Vectors.floats(settings.getAsJsonArray("class_weights")))
        .epochs(1)
        .learningRate(settings.get("lr").getAsDouble())
        .weightDecay(settings.get("weight_decay").getAsDouble())
        .batchTokens(1 << 20)
        .dropout(
            new DropoutRates(
                rates.get("hidden").getAsDouble(),
                rates.get("attention").getAsDouble(),
                rates.get("classifier").getAsDouble()))
        .maxGradNorm(settings.get("max_grad_norm").getAsDouble())
        .seed(rates.get("seed").getAsLong())
        .build();
  }

  /**
   * bf16 mixed precision: the weights and their gradients stay fp32, the loss is PyTorch's fp32
   * loss to bf16's resolution (its 8-bit mantissa: within 1%, and not equal to it, or bf16 was not
   * used), and every watched gradient points where PyTorch's does (cosine above 0.99).
   */
  @Test
  void aBf16MixedPrecisionStepIsPyTorchsToBf16sResolution() {
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu(), Precision.BF16)) {
      CellClassifier model = classifier(encoder);
      Map<String, NDArray> byName = byName(model);
      float want = REF.get("loss").getAsFloat();
      float loss = lossAndGradients(model);
      assertThat(loss).isCloseTo(want, within(0.01f * want));
      assertThat(loss).as("computed in bf16").isNotCloseTo(want, within(1e-5f));
      JsonObject gradients = REF.getAsJsonObject("gradients");
      for (String name : gradients.keySet()) {
        NDArray g = byName.get(name).getGradient();
        assertThat(byName.get(name).getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(g.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(Vectors.cosine(g.toFloatArray(), Vectors.floats(gradients.getAsJsonArray(name))))
            .as("gradient of %s against PyTorch's fp32 one", name)
            .isGreaterThan(0.99);
      }
    }
  }
}
