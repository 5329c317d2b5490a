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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Test;

/**
 * One step of a gene classifier equals PyTorch's (make_training_step_reference.py's
 * BertForTokenClassification restated: the head on every token's last hidden state, cross-entropy
 * with class weights over the labelled genes only, the Trainer's AdamW after clipping): the
 * labelled tokens' logits, the loss, the gradients, their norm and the updated weights within 1e-5;
 * with dropout too (the classifier's dropout over every token, drawn as PyTorch draws it).
 */
class GeneTrainingStepTest {
  private static final JsonObject REF =
      TrainingStepTest.reference("gene_training_step_reference.json");
  private static final JsonObject SETTINGS = REF.getAsJsonObject("settings");

  /** The reference's cells, their genes labelled as it labels them. */
  private static LabelledTokens examples() {
    List<int[]> cells = new ArrayList<>();
    for (var cell : REF.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    int[] classOf = new int[64];
    Arrays.fill(classOf, -1);
    REF.getAsJsonObject("token_classes")
        .entrySet()
        .forEach(e -> classOf[Integer.parseInt(e.getKey())] = e.getValue().getAsInt());
    return new LabelledTokens(cells, classOf);
  }

  private static final int[] ALL = {0, 1, 2, 3};

  private static GeneClassifier classifier(TrainableBert encoder) {
    return new GeneClassifier(
        encoder,
        Vectors.floats(REF.getAsJsonObject("initial_head").getAsJsonArray("weight")),
        Vectors.floats(REF.getAsJsonObject("initial_head").getAsJsonArray("bias")));
  }

  private static AdamW adam() {
    return TrainingStepTest.adam(SETTINGS);
  }

  private static float[] classWeights() {
    return Vectors.floats(SETTINGS.getAsJsonArray("class_weights"));
  }

  @Test
  void oneStepEqualsPyTorchs() {
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      GeneClassifier model = classifier(encoder);
      LabelledTokens examples = examples();
      try (NDManager m = model.manager().newSubManager()) {
        float[] logits =
            model.logits(m, TokenBatch.of(examples, ALL), DropoutRates.NONE).toFloatArray();
        JsonArray want = new JsonArray();
        REF.getAsJsonArray("logits").forEach(row -> want.addAll(row.getAsJsonArray()));
        TrainingStepTest.close("the labelled genes' logits, row by row", logits, want);
      }
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = model.loss(m, examples, ALL, DropoutRates.NONE, classWeights());
        assertThat(loss.getFloat()).isCloseTo(REF.get("loss").getAsFloat(), within(1e-5f));
        collector.backward(loss);
      }
      TrainingStepTest.gradientsStepAndUpdatesEqual(model, REF);
    }
  }

  @Test
  void oneStepWithDropoutEqualsPyTorchs() {
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      TrainingStepTest.dropoutStepEquals(classifier(encoder), examples(), ALL, classWeights(), REF);
    }
  }
}
