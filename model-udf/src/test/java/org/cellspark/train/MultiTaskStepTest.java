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
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Test;

/**
 * One step of the multi-task classifier equals PyTorch's (make_training_step_reference.py's
 * GeneformerMultiTask restated: the attention pool over each cell's tokens, padding left out, a
 * head per task, each task's class-weighted cross-entropy times the task's weight, summed; one cell
 * without a class for the second task): each task's logits, the loss, the gradients (the attention
 * vector's and the heads' too), their norm and the updated weights within 1e-5; with dropout too.
 */
class MultiTaskStepTest {
  private static final JsonObject REF =
      TrainingStepTest.reference("multitask_training_step_reference.json");
  private static final JsonObject TASKS = REF.getAsJsonObject("tasks");
  private static final int[] ALL = {0, 1, 2, 3};

  /** The reference's cells and both tasks' labels (PyTorch's -100 is a cell without a class). */
  private static MultiLabelledCells examples() {
    List<int[]> cells = new ArrayList<>();
    for (var cell : REF.getAsJsonArray("cells")) {
      cells.add(cell.getAsJsonArray().asList().stream().mapToInt(e -> e.getAsInt()).toArray());
    }
    JsonArray tasks = TASKS.getAsJsonArray("labels");
    int[][] labels = new int[tasks.size()][];
    for (int t = 0; t < labels.length; t++) {
      labels[t] =
          tasks.get(t).getAsJsonArray().asList().stream()
              .mapToInt(e -> e.getAsInt() == -100 ? MultiLabelledCells.UNLABELLED : e.getAsInt())
              .toArray();
    }
    return new MultiLabelledCells(cells, labels);
  }

  /** The tiny V2 model with the attention vector and heads the script started from. */
  private static MultiTaskClassifier classifier(TrainableBert encoder) {
    JsonObject initial = REF.getAsJsonObject("initial");
    List<MultiTaskClassifier.Head> heads = new ArrayList<>();
    for (var h : initial.getAsJsonArray("heads")) {
      heads.add(
          new MultiTaskClassifier.Head(
              Vectors.floats(h.getAsJsonObject().getAsJsonArray("weight")),
              Vectors.floats(h.getAsJsonObject().getAsJsonArray("bias"))));
    }
    JsonObject settings = REF.getAsJsonObject("settings");
    return new MultiTaskClassifier(
        encoder,
        MultiTaskClassifier.Pool.ATTENTION,
        settings.get("cls_id").getAsInt(),
        settings.get("eos_id").getAsInt(),
        heads,
        Vectors.floats(initial.getAsJsonArray("attention")),
        Vectors.floats(TASKS.getAsJsonArray("task_weights")));
  }

  /** Both tasks' class weights, one task after the other. */
  private static float[] classWeights() {
    JsonArray all = new JsonArray();
    TASKS.getAsJsonArray("class_weights").forEach(w -> all.addAll(w.getAsJsonArray()));
    return Vectors.floats(all);
  }

  private static TrainableBert tinyV2() {
    return TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu());
  }

  @Test
  void oneStepEqualsPyTorchs() {
    try (TrainableBert encoder = tinyV2()) {
      MultiTaskClassifier model = classifier(encoder);
      MultiLabelledCells examples = examples();
      try (NDManager m = model.manager().newSubManager()) {
        List<NDArray> logits = model.logits(m, model.batch(examples, ALL), DropoutRates.NONE);
        for (int t = 0; t < logits.size(); t++) {
          JsonArray want = new JsonArray();
          REF.getAsJsonArray("logits")
              .get(t)
              .getAsJsonArray()
              .forEach(row -> want.addAll(row.getAsJsonArray()));
          TrainingStepTest.close("task " + t + "'s logits", logits.get(t).toFloatArray(), want);
        }
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
    try (TrainableBert encoder = tinyV2()) {
      TrainingStepTest.dropoutStepEquals(classifier(encoder), examples(), ALL, classWeights(), REF);
    }
  }

  /**
   * The attention pool leaves padding out: a short cell's logits alone equal its logits in a batch
   * padded to a longer cell (upstream's pool, softmax over padding too, would differ).
   */
  @Test
  void aCellPoolsTheSameAloneAsInAPaddedBatch() {
    try (TrainableBert encoder = tinyV2()) {
      MultiTaskClassifier model = classifier(encoder);
      MultiLabelledCells examples = examples();
      int shortest = 0;
      for (int c = 1; c < examples.size(); c++) {
        shortest = examples.length(c) < examples.length(shortest) ? c : shortest;
      }
      assertThat(examples.length(shortest)).isLessThan(examples.longest(ALL));
      try (NDManager m = model.manager().newSubManager()) {
        float[] alone =
            model
                .logits(m, model.batch(examples, new int[] {shortest}), DropoutRates.NONE)
                .get(1)
                .toFloatArray();
        float[] inBatch =
            model
                .logits(m, model.batch(examples, ALL), DropoutRates.NONE)
                .get(1)
                .get(shortest)
                .toFloatArray();
        assertThat(alone).containsExactly(inBatch, within(1e-5f));
      }
    }
  }

  /**
   * Evaluation: the loss as the step's (before it), a prediction for every cell (the one without a
   * class for task 1 too), the argmax of PyTorch's logits, scores over the labelled cells only.
   */
  @Test
  void evaluationPredictsEveryCellAndScoresTheLabelledOnes() {
    try (TrainableBert encoder = tinyV2()) {
      MultiTaskClassifier model = classifier(encoder);
      MultiLabelledCells examples = examples();
      MultiTaskEvaluation e = MultiTaskEvaluation.of(model, examples, 1 << 20, classWeights());
      assertThat(e.loss()).isCloseTo(REF.get("loss").getAsDouble(), within(1e-5));
      for (int t = 0; t < 2; t++) {
        JsonArray logits = REF.getAsJsonArray("logits").get(t).getAsJsonArray();
        MultiTaskEvaluation.Task task = e.tasks().get(t);
        int right = 0;
        for (int c = 0; c < 4; c++) {
          float[] row = Vectors.floats(logits.get(c).getAsJsonArray());
          int best = 0;
          for (int k = 1; k < row.length; k++) {
            best = row[k] > row[best] ? k : best;
          }
          assertThat(task.predicted()[c]).as("task %d, cell %d", t, c).isEqualTo(best);
          assertThat(task.probabilities()[c]).hasSize(row.length);
          int label = examples.label(t, c);
          right += label == best ? 1 : 0;
        }
        assertThat(task.labelled()).isEqualTo(examples.labelled(t));
        assertThat(task.accuracy()).isCloseTo((double) right / task.labelled(), within(1e-12));
      }
      assertThat(e.tasks().get(1).labelled()).isEqualTo(3);
      assertThat(model.score(examples, 1 << 20, classWeights()).metric())
          .isCloseTo(e.meanMacroF1(), within(1e-12));
    }
  }

  /**
   * A batch in which no cell has a class for a task (sparse labels): that task adds nothing to the
   * loss, its head gets a zero gradient (not none, which the optimizer step cannot take), and the
   * step runs; the other task's head learns as usual.
   */
  @Test
  void aBatchWithoutATasksClassesStillSteps() {
    try (TrainableBert encoder = tinyV2()) {
      MultiTaskClassifier model = classifier(encoder);
      int u = MultiLabelledCells.UNLABELLED;
      MultiLabelledCells cells =
          new MultiLabelledCells(examples().tokens(), new int[][] {{0, 1, 1, 0}, {u, u, 0, 1}});
      Map<String, NDArray> byName = TrainingStepTest.byName(model);
      float[] before = byName.get("classification_heads.1.weight").toFloatArray();
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(
            model.loss(m, cells, new int[] {0, 1}, DropoutRates.NONE, classWeights()));
      }
      assertThat(byName.get("classification_heads.1.weight").getGradient().toFloatArray())
          .containsOnly(0f);
      assertThat(byName.get("classification_heads.0.weight").getGradient().abs().sum().getFloat())
          .isPositive();
      try (NDManager m = model.manager().newSubManager()) {
        new AdamW(1e-2, 0.9, 0.999, 1e-8, 0).step(encoder, model.weights(), Double.NaN, 1, m);
      }
      assertThat(byName.get("classification_heads.1.weight").toFloatArray())
          .as("no gradient, no decay: unchanged")
          .containsExactly(before);
    }
  }

  /**
   * Each weight keeps moments of its own, whatever its values: two heads that start equal (as two
   * tasks' zero biases do, or a new model's LayerNorm weights, all ones) and get different
   * gradients move as torch.optim.AdamW's first step moves each on its own: {@code p(1 - lr wd) -
   * lr g / (|g| + eps)}. (DJL's arrays are equal when their values are: moments looked up by
   * equality rather than identity were shared by such weights.)
   */
  @Test
  void weightsThatStartEqualKeepMomentsOfTheirOwn() {
    try (TrainableBert encoder = tinyV2()) {
      JsonObject first =
          REF.getAsJsonObject("initial").getAsJsonArray("heads").get(0).getAsJsonObject();
      MultiTaskClassifier.Head head =
          new MultiTaskClassifier.Head(
              Vectors.floats(first.getAsJsonArray("weight")), new float[2]);
      MultiTaskClassifier model =
          new MultiTaskClassifier(
              encoder,
              MultiTaskClassifier.Pool.MEAN,
              2,
              3,
              List.of(head, head),
              null,
              new float[] {1, 1});
      MultiLabelledCells cells =
          new MultiLabelledCells(examples().tokens(), new int[][] {{0, 1, 1, 0}, {1, 1, 1, 0}});
      Map<String, NDArray> byName = TrainingStepTest.byName(model);
      try (NDManager m = model.manager().newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(model.loss(m, cells, ALL, DropoutRates.NONE, new float[] {1, 1, 1, 1}));
      }
      double lr = 1e-2;
      double decay = 0.1;
      double eps = 1e-8;
      Map<String, float[]> before = new java.util.HashMap<>();
      Map<String, float[]> gradients = new java.util.HashMap<>();
      for (String name :
          List.of(
              "classification_heads.0.weight",
              "classification_heads.1.weight",
              "classification_heads.0.bias",
              "classification_heads.1.bias")) {
        before.put(name, byName.get(name).toFloatArray());
        gradients.put(name, byName.get(name).getGradient().toFloatArray());
      }
      assertThat(gradients.get("classification_heads.0.bias"))
          .as("the tasks' labels differ, so do their gradients")
          .isNotEqualTo(gradients.get("classification_heads.1.bias"));
      try (NDManager m = model.manager().newSubManager()) {
        new AdamW(lr, 0.9, 0.999, eps, decay).step(encoder, model.weights(), Double.NaN, 0, m);
      }
      for (String name : before.keySet()) {
        float[] p = before.get(name);
        float[] g = gradients.get(name);
        float[] after = byName.get(name).toFloatArray();
        double wd = name.endsWith("bias") ? 0 : decay;
        for (int i = 0; i < p.length; i++) {
          double want = p[i] * (1 - lr * wd) - lr * g[i] / (Math.abs(g[i]) + eps);
          assertThat((double) after[i]).as("%s[%d]", name, i).isCloseTo(want, within(1e-6));
        }
      }
    }
  }

  /**
   * New heads as upstream makes them: Xavier-uniform within sqrt(6 / (fan in + fan out)), bias 0.
   */
  @Test
  void newHeadsAreXavierUniform() {
    MultiTaskClassifier.Head h = MultiTaskClassifier.Head.xavier(3, 200, new Random(5));
    double bound = Math.sqrt(6.0 / 203);
    double max = 0;
    double sumSquares = 0;
    for (float w : h.weight()) {
      max = Math.max(max, Math.abs(w));
      sumSquares += w * w;
    }
    assertThat(h.weight()).hasSize(600);
    assertThat(h.bias()).containsOnly(0f);
    assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
    // a uniform's variance is bound^2 / 3
    assertThat(sumSquares / 600).isCloseTo(bound * bound / 3, within(0.15 * bound * bound / 3));
    assertThat(MultiTaskClassifier.Head.xavier(3, 200, new Random(5)).weight())
        .containsExactly(h.weight());
    float[] a = MultiTaskClassifier.newAttention(200, new Random(5));
    assertThat(a).hasSize(200);
    for (float w : a) {
      assertThat(Math.abs(w)).isLessThanOrEqualTo((float) Math.sqrt(6.0 / 201));
    }
  }
}
