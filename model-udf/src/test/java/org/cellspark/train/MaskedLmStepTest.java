package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Test;

/**
 * One pretraining step equals PyTorch's (make_training_step_reference.py's BertForMaskedLM
 * restated: genes masked by the rule restated there from torch's draws, the head's transform read
 * from the checkpoint, the output tied to the word embeddings, cross-entropy over the masked genes,
 * the Trainer's AdamW after clipping): the draws, the masked cells, the masked positions' logits,
 * the loss, the gradients (the word embeddings' from both their uses), their norm and the updated
 * weights within 1e-5; with dropout too.
 */
class MaskedLmStepTest {
  private static final JsonObject REF =
      TrainingStepTest.reference("mlm_training_step_reference.json");
  private static final JsonObject MASKING = REF.getAsJsonObject("masking");
  private static final Path MODEL = Fixtures.vocab("models/tiny-v2");
  private static final int[] ALL = {0, 1, 2, 3};

  private static MaskedCells examples() {
    List<int[]> cells = new ArrayList<>();
    for (JsonElement cell : REF.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    int[] specials =
        MASKING.getAsJsonArray("specials").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    Masking masking =
        Masking.of(
            MASKING.get("fraction").getAsDouble(), 34, MASKING.get("mask_id").getAsInt(), specials);
    return new MaskedCells(cells, masking, 0);
  }

  private static MaskedLanguageModel model(TrainableBert encoder) {
    return new MaskedLanguageModel(encoder, MaskedLmHeadWeights.of(MODEL, 0));
  }

  private static long[] flat(String key) {
    List<Long> out = new ArrayList<>();
    REF.getAsJsonArray(key)
        .forEach(row -> row.getAsJsonArray().forEach(v -> out.add(v.getAsLong())));
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  @Test
  void masksAsTheRestatedRuleFromTheSameDraws() {
    MaskedCells examples = examples();
    int length = 29;
    float[] draws;
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      JniUtils.setSeed(MASKING.get("seed").getAsLong());
      draws = m.randomUniform(0f, 1f, new Shape(3, 4, length)).toFloatArray();
    }
    TrainingStepTest.close(
        "libtorch's draws, seeded as torch.manual_seed", draws, REF.getAsJsonArray("draws"));
    MaskedBatch b = MaskedBatch.of(examples, ALL, draws);
    assertThat(b.ids()).as("the masked cells").containsExactly(flat("masked_ids"));
    long[] labels = flat("labels");
    List<Long> positions = new ArrayList<>();
    List<Integer> genes = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] != -100) {
        positions.add((long) i);
        genes.add((int) labels[i]);
      }
    }
    assertThat(b.positions())
        .containsExactly(positions.stream().mapToLong(Long::longValue).toArray());
    assertThat(b.labels()).containsExactly(genes.stream().mapToInt(Integer::intValue).toArray());
    JsonObject kinds = REF.getAsJsonObject("kinds");
    assertThat(
            kinds.get("mask").getAsInt()
                * kinds.get("gene").getAsInt()
                * kinds.get("kept").getAsInt())
        .as("the reference has masked, replaced and kept genes: %s", kinds)
        .isPositive();
  }

  @Test
  void oneStepEqualsPyTorchs() {
    try (TrainableBert encoder = TrainableBert.load(MODEL, Device.cpu())) {
      MaskedLanguageModel model = model(encoder);
      MaskedCells examples = examples();
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        JniUtils.setSeed(MASKING.get("seed").getAsLong());
        MaskedBatch b = MaskedLanguageModel.masked(m, examples, ALL);
        NDArray logits = model.logits(m, b, DropoutRates.NONE);
        JsonArray want = new JsonArray();
        REF.getAsJsonArray("logits").forEach(row -> want.addAll(row.getAsJsonArray()));
        TrainingStepTest.close("the masked genes' logits, row by row", logits.toFloatArray(), want);
        NDArray loss = WeightedCrossEntropy.mean(logits, b.labels());
        assertThat(loss.getFloat()).isCloseTo(REF.get("loss").getAsFloat(), within(1e-5f));
        collector.backward(loss);
      }
      TrainingStepTest.gradientsStepAndUpdatesEqual(model, REF);
    }
  }

  @Test
  void oneStepWithDropoutEqualsPyTorchs() {
    try (TrainableBert encoder = TrainableBert.load(MODEL, Device.cpu())) {
      TrainingStepTest.dropoutStepEquals(model(encoder), examples(), ALL, new float[0], REF);
    }
  }

  /**
   * bf16 mixed precision, as pretraining on a GPU runs: the weights and gradients stay fp32, the
   * loss is PyTorch's fp32 loss to bf16's resolution (within 1%, and not equal), and every watched
   * gradient points where PyTorch's fp32 one does. This fixture's weights (standard deviation 0.3,
   * far above a trained model's) make bf16's rounding show in the encoder's gradients: PyTorch's
   * own CPU bf16 autocast of the same step reaches cosines of 0.96 to 0.99 to its fp32 gradients,
   * this step 0.91 to 0.98 (the head's above 0.97), hence the bound of 0.85.
   */
  @Test
  void aBf16MixedPrecisionStepIsPyTorchsToBf16sResolution() {
    try (TrainableBert encoder = TrainableBert.load(MODEL, Device.cpu(), Precision.BF16)) {
      MaskedLanguageModel model = model(encoder);
      float want = REF.get("loss").getAsFloat();
      float loss;
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        JniUtils.setSeed(MASKING.get("seed").getAsLong());
        NDArray l = model.loss(m, examples(), ALL, DropoutRates.NONE, new float[0]);
        loss = l.getFloat();
        collector.backward(l);
      }
      assertThat(loss).isCloseTo(want, within(0.01f * want));
      assertThat(loss).as("computed in bf16").isNotCloseTo(want, within(1e-5f));
      Map<String, NDArray> byName = TrainingStepTest.byName(model);
      JsonObject gradients = REF.getAsJsonObject("gradients");
      for (String name : gradients.keySet()) {
        NDArray g = byName.get(name).getGradient();
        assertThat(g.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(Vectors.cosine(g.toFloatArray(), Vectors.floats(gradients.getAsJsonArray(name))))
            .as("gradient of %s against PyTorch's fp32 one", name)
            .isGreaterThan(name.startsWith("head.") ? 0.97 : 0.85);
      }
    }
  }
}
