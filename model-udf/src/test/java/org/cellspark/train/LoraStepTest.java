package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cellspark.error.UserException;
import org.cellspark.infer.Pooling;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Gpu;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA fine-tuning step equals PyTorch's (make_lora_step_reference.py: peft's LoRA Linear written
 * out on the tiny V2 model's query and value projections, the checkpoint's weights frozen, the
 * Trainer's clipped AdamW over the adapters and the head): loss, the adapters' and the head's
 * gradients, their norm and their values after the step, within 1e-5; with dropout on the adapters'
 * input too; and the saved model, the adapters folded into the weights, is the reference's merged
 * model.
 */
class LoraStepTest {
  private static final JsonObject REF = TrainingStepTest.reference("lora_step_reference.json");
  private static final JsonObject SETTINGS = REF.getAsJsonObject("settings");
  private static final JsonObject LORA = REF.getAsJsonObject("lora");
  private static final Path TINY = Fixtures.vocab("models/tiny-v2");

  private static LoraAdapters.Settings lora(double dropout) {
    return new LoraAdapters.Settings(
        LORA.get("r").getAsInt(), LORA.get("alpha").getAsDouble(), dropout);
  }

  /** The tiny V2 model with adapters, both holding the reference's starting values. */
  private static CellClassifier classifier(TrainableBert encoder) {
    encoder.addAdapters(lora(LORA.get("dropout").getAsDouble()), 1);
    JsonObject initial = REF.getAsJsonObject("initial");
    for (TrainableBert.NamedWeight w : encoder.weights()) {
      if (LoraAdapters.isAdapter(w.name())) {
        float[] values = Vectors.floats(initial.getAsJsonArray(w.name()));
        try (NDManager m = encoder.manager().newSubManager()) {
          TrainingState.assign(w.value(), m.create(values, w.value().getShape()));
        }
      }
    }
    return new CellClassifier(
        encoder,
        Pooling.MEAN,
        SETTINGS.get("cls_id").getAsInt(),
        SETTINGS.get("eos_id").getAsInt(),
        Vectors.floats(initial.getAsJsonArray("head.weight")),
        Vectors.floats(initial.getAsJsonArray("head.bias")));
  }

  private static List<int[]> cells() {
    List<int[]> cells = new ArrayList<>();
    for (var cell : REF.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    return cells;
  }

  private static TrainingBatch batch() {
    int[] labels =
        SETTINGS.getAsJsonArray("labels").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    return TrainingBatch.of(
        cells(), labels, SETTINGS.get("cls_id").getAsInt(), SETTINGS.get("eos_id").getAsInt());
  }

  private static List<TrainableBert.NamedWeight> trained(CellClassifier model) {
    return TrainedWeights.select(model.weights(), 0, true);
  }

  /** The reference's class weights and clipping. */
  private static FineTuner.Settings.Builder settings() {
    return FineTuner.Settings.builder(Vectors.floats(SETTINGS.getAsJsonArray("class_weights")))
        .maxGradNorm(SETTINGS.get("max_grad_norm").getAsDouble());
  }

  /** One FineTuner step on the reference's batch with its optimizer; the loss. */
  private static float step(CellClassifier model, FineTuner.Settings s) {
    return FineTuner.step(
        model,
        batch(),
        trained(model),
        TrainingStepTest.adam(SETTINGS),
        SETTINGS.get("lr").getAsDouble(),
        s);
  }

  @Test
  void anAdaptedStepEqualsPyTorchs() {
    adaptedStep(Device.cpu());
  }

  /** The same step on a GPU (without dropout: CUDA draws other masks than the CPU). */
  @Test
  @Tag(Gpu.TAG)
  void anAdaptedStepOnAGpuEqualsPyTorchs() {
    adaptedStep(Gpu.device());
  }

  private static void adaptedStep(Device device) {
    try (TrainableBert encoder = TrainableBert.load(TINY, device)) {
      CellClassifier model = classifier(encoder);
      Map<String, NDArray> byName = TrainingStepTest.byName(model);
      float[] frozenBefore =
          byName.get("encoder.layer.0.attention.self.query.weight").toFloatArray();
      List<TrainableBert.NamedWeight> trained = trained(model);
      FineTuner.Settings s = settings().build();
      float loss;
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray l =
            WeightedCrossEntropy.loss(
                model.logits(m, batch(), DropoutRates.NONE), batch().labels(), s.classWeights());
        collector.backward(l);
        loss = l.getFloat();
      }
      assertThat(loss).isCloseTo(REF.get("loss").getAsFloat(), within(1e-5f));
      JsonObject gradients = REF.getAsJsonObject("gradients");
      for (String name : gradients.keySet()) {
        TrainingStepTest.close(
            "gradient of " + name,
            byName.get(name).getGradient().toFloatArray(),
            gradients.getAsJsonArray(name));
      }
      double norm;
      try (NDManager m = model.manager().newSubManager()) {
        norm =
            TrainingStepTest.adam(SETTINGS)
                .step(model.encoder(), trained, Double.NaN, s.maxGradNorm(), m)
                .getFloat();
      }
      assertThat(norm).isCloseTo(REF.get("grad_norm").getAsDouble(), within(1e-5));
      TrainingStepTest.updatedEqual(model, REF.getAsJsonObject("updated"));
      assertThat(byName.get("encoder.layer.0.attention.self.query.weight").toFloatArray())
          .as("the checkpoint's weights do not train")
          .containsExactly(frozenBefore);
      assertThat(byName.get("encoder.layer.0.attention.self.query.weight").hasGradient())
          .as("nor record gradients")
          .isFalse();

      // Saved: the adapters folded into the projections, as peft's merge_and_unload.
      List<TrainableBert.NamedWeight> saved = encoder.forSaving(model.weights());
      assertThat(saved).noneMatch(w -> LoraAdapters.isAdapter(w.name()));
      assertThat(saved).hasSize(model.weights().size() - 4 * encoder.config().numLayers());
      JsonObject merged = REF.getAsJsonObject("merged");
      for (TrainableBert.NamedWeight w : saved) {
        if (merged.has(w.name())) {
          TrainingStepTest.close(
              "merged " + w.name(), w.value().toFloatArray(), merged.getAsJsonArray(w.name()));
        }
      }
      assertThat(merged.keySet()).hasSize(2 * encoder.config().numLayers());
    }
  }

  @Test
  void aStepWithDropoutOnTheAdaptersEqualsPyTorchs() {
    JsonObject d = REF.getAsJsonObject("dropout");
    JsonObject rates = d.getAsJsonObject("rates");
    try (TrainableBert encoder = TrainableBert.load(TINY, Device.cpu())) {
      CellClassifier model = classifier(encoder);
      FineTuner.Settings s =
          settings()
              .dropout(
                  new DropoutRates(
                          rates.get("hidden").getAsDouble(),
                          rates.get("attention").getAsDouble(),
                          rates.get("classifier").getAsDouble())
                      .withAdapters(LORA.get("dropout").getAsDouble()))
              .seed(rates.get("seed").getAsLong())
              .build();
      float loss = step(model, s);
      assertThat(loss).isCloseTo(d.get("loss").getAsFloat(), within(1e-5f));
      TrainingStepTest.updatedEqual(model, d.getAsJsonObject("updated"));
    }
  }

  /**
   * A model saved after LoRA training is a plain checkpoint: loaded again (no adapters), its last
   * hidden states are the reference's merged model's.
   */
  @Test
  void theSavedFolderIsTheMergedModel(@TempDir Path dir) {
    Path folder = dir.resolve("model");
    try (TrainableBert encoder = TrainableBert.load(TINY, Device.cpu())) {
      CellClassifier model = classifier(encoder);
      step(model, settings().build());
      FineTunedCheckpoint.write(folder, model, TINY.resolve("config.json"), List.of("a", "b"));
    }
    try (TrainableBert saved = TrainableBert.load(folder, Device.cpu());
        NDManager m = saved.manager().newSubManager()) {
      assertThat(saved.weights()).noneMatch(w -> LoraAdapters.isAdapter(w.name()));
      TrainingBatch b = batch();
      float[] last = saved.lastHiddenState(b.ids(m), b.mask(m)).toFloatArray();
      TrainingStepTest.close(
          "the saved model's last hidden states",
          last,
          REF.getAsJsonArray("merged_last_hidden_state"));
    }
  }

  /**
   * New adapters start the model where the checkpoint is (B is zero): the same hidden states; A
   * drawn within peft's bound 1/sqrt(hidden), from the seed; the weights that train are the
   * adapters and the head, and with frozen layers only the other layers' adapters. A rank above the
   * hidden size is refused (upstream's 64 on this 32-wide model).
   */
  @Test
  void newAdaptersStartFromTheCheckpointsModel() {
    try (TrainableBert plain = TrainableBert.load(TINY, Device.cpu());
        TrainableBert adapted = TrainableBert.load(TINY, Device.cpu());
        TrainableBert again = TrainableBert.load(TINY, Device.cpu());
        NDManager m = plain.manager().newSubManager()) {
      LoraAdapters.Settings eight = new LoraAdapters.Settings(8, 16, 0.1);
      adapted.addAdapters(eight, 7);
      again.addAdapters(eight, 8);
      TrainingBatch b = batch();
      float[] want = plain.lastHiddenState(b.ids(m), b.mask(m)).toFloatArray();
      float[] got = adapted.lastHiddenState(b.ids(m), b.mask(m), 0, 0, 0).toFloatArray();
      assertThat(got).containsExactly(want, within(1e-6f));
      int h = plain.config().hiddenSize();
      NDArray a = adapted.weights().get(plain.weights().size()).value();
      assertThat(a.getShape()).isEqualTo(new Shape(8, h));
      assertThat(a.abs().max().getFloat()).isLessThanOrEqualTo((float) (1 / Math.sqrt(h)));
      assertThat(a.abs().max().getFloat()).isGreaterThan((float) (0.9 / Math.sqrt(h)));
      assertThat(again.weights().get(plain.weights().size()).value().toFloatArray())
          .as("another seed, other adapters")
          .isNotEqualTo(a.toFloatArray());

      CellClassifier model =
          new CellClassifier(adapted, Pooling.MEAN, 2, 3, new float[2 * h], new float[2]);
      List<String> all =
          TrainedWeights.select(model.weights(), 0, true).stream()
              .map(TrainableBert.NamedWeight::name)
              .toList();
      assertThat(all)
          .hasSize(4 * plain.config().numLayers() + 2)
          .allMatch(n -> LoraAdapters.isAdapter(n) || n.startsWith("head."));
      assertThat(TrainedWeights.select(model.weights(), 1, true))
          .map(TrainableBert.NamedWeight::name)
          .hasSize(4 * (plain.config().numLayers() - 1) + 2)
          .noneMatch(n -> n.startsWith("encoder.layer.0."));
      assertThatThrownBy(() -> plain.addAdapters(LoraAdapters.Settings.UPSTREAM, 1))
          .isInstanceOf(UserException.class)
          .hasMessageContaining("--lora-rank 64")
          .hasMessageContaining("hidden size, 32");
    }
  }

  /**
   * bf16 mixed precision with adapters: the adapters' products in bf16 too, the loss PyTorch's fp32
   * loss to bf16's resolution.
   */
  @Test
  void aBf16AdaptedLossIsPyTorchsToBf16sResolution() {
    try (TrainableBert encoder = TrainableBert.load(TINY, Device.cpu(), Precision.BF16);
        NDManager m = encoder.manager().newSubManager()) {
      CellClassifier model = classifier(encoder);
      float loss =
          WeightedCrossEntropy.loss(
                  model.logits(m, batch(), DropoutRates.NONE),
                  batch().labels(),
                  Vectors.floats(SETTINGS.getAsJsonArray("class_weights")))
              .getFloat();
      float want = REF.get("loss").getAsFloat();
      assertThat(loss).isCloseTo(want, within(0.01f * want));
      assertThat(loss).as("computed in bf16").isNotCloseTo(want, within(1e-5f));
    }
  }
}
