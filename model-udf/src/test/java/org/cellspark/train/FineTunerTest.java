package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cellspark.error.UserException;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.infer.Pooling;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.TrainableBert;
import org.cellspark.model.WeightsFile;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tuning loop learns a label that depends on gene order, which the tiny random model's
 * pooled embedding hardly shows: cells of 12 to 20 genes (<cls> first, <eos> last), every one
 * holding gene token 10, labelled 1 when it ranks among the first three genes. Before training the
 * head is at chance; after, the held-out cells' macro-F1 is high. Training runs with dropout (0.1
 * everywhere, V2's rate). The same seed gives the same model twice; another seed another one.
 */
class FineTunerTest {
  static final int CLS = 2;
  static final int EOS = 3;

  static LabelledCells cells(int n, long seed) {
    Random r = new Random(seed);
    List<int[]> tokens = new ArrayList<>();
    int[] labels = new int[n];
    for (int c = 0; c < n; c++) {
      List<Integer> genes = new ArrayList<>();
      for (int g = 4; g < 34; g++) {
        genes.add(g);
      }
      Collections.shuffle(genes, r);
      int length = 12 + r.nextInt(9);
      List<Integer> chosen = new ArrayList<>(genes.subList(0, length));
      if (!chosen.contains(10)) {
        chosen.set(r.nextInt(length), 10);
      }
      int[] cell = new int[length + 2];
      cell[0] = CLS;
      for (int i = 0; i < length; i++) {
        cell[i + 1] = chosen.get(i);
      }
      cell[length + 1] = EOS;
      tokens.add(cell);
      labels[c] = chosen.indexOf(10) < 3 ? 1 : 0;
    }
    return new LabelledCells(tokens, labels);
  }

  static float[] head(int classes, int hidden, long seed) {
    Random r = new Random(seed);
    float[] w = new float[classes * hidden];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (0.02 * r.nextGaussian());
    }
    return w;
  }

  private record Run(List<FineTuner.Epoch> epochs, Evaluation before, Evaluation after) {}

  private static final DropoutRates DROPOUT = DropoutRates.of(0.1);

  /**
   * The tests' training: lr 3e-3, weight decay 0.01, 10% warm-up, 512 tokens a batch, dropout 0.1,
   * clipping at 1.
   */
  private static FineTuner.Settings settings(
      int epochs, LearningRateSchedule.Decay decay, float[] classWeights, long seed) {
    return FineTuner.Settings.builder(classWeights)
        .epochs(epochs)
        .learningRate(3e-3)
        .weightDecay(0.01)
        .warmupFraction(0.1)
        .decay(decay)
        .batchTokens(512)
        .dropout(DROPOUT)
        .maxGradNorm(1.0)
        .seed(seed)
        .build();
  }

  private static Run fineTune(long seed) {
    LabelledCells train = cells(1200, 1);
    LabelledCells validation = cells(120, 2);
    float[] weights = {1f, 1f};
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model =
          new CellClassifier(encoder, Pooling.MEAN, CLS, EOS, head(2, 32, 3), new float[2]);
      Evaluation before = Evaluation.of(model, validation, 4096, weights, 2);
      List<FineTuner.Epoch> epochs =
          FineTuner.train(
                  model,
                  train,
                  validation,
                  settings(6, LearningRateSchedule.Decay.LINEAR, weights, seed))
              .epochs();
      return new Run(epochs, before, Evaluation.of(model, validation, 4096, weights, 2));
    }
  }

  @Test
  void learnsAnOrderDependentLabelAndIsReproducible() {
    Run run = fineTune(42);
    assertThat(run.before().macroF1()).isLessThan(0.7);
    assertThat(run.after().macroF1()).as("%s", run.epochs()).isGreaterThan(0.9);
    assertThat(run.epochs().get(run.epochs().size() - 1).trainLoss())
        .isLessThan(run.epochs().get(0).trainLoss());
    Run again = fineTune(42);
    assertThat(Arrays.equals(again.after().predicted(), run.after().predicted())).isTrue();
    assertThat(again.after().probabilities()[0]).containsExactly(run.after().probabilities()[0]);
    Run other = fineTune(7);
    assertThat(other.after().probabilities()[0])
        .as("another seed: other batch orders and dropout masks")
        .isNotEqualTo(run.after().probabilities()[0]);
  }

  /**
   * Checkpoints kept as a file in a folder of the test's; a kill after {@code stopAfter} epochs or
   * {@code stopAfterSteps} steps.
   */
  private static final class SavedStates implements FineTuner.Checkpoints {
    final Path saved;
    int epochsDone;
    int stopAfter = Integer.MAX_VALUE;
    int stopAfterSteps = Integer.MAX_VALUE;
    int cancelledAtCheck = Integer.MAX_VALUE;
    int checks;

    SavedStates(Path folder) {
      saved = folder.resolve("state.safetensors");
    }

    @Override
    public boolean latest(Path into) {
      try {
        if (!Files.exists(saved)) {
          return false;
        }
        Files.copy(saved, into, StandardCopyOption.REPLACE_EXISTING);
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void save(Path state, FineTuner.Progress progress) {
      try {
        Files.copy(state, saved, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      epochsDone = progress.epochsDone();
      if (progress.current().batches() == 0 && epochsDone >= stopAfter) {
        throw new IllegalStateException("killed after epoch " + epochsDone);
      }
      if (progress.steps() >= stopAfterSteps) {
        throw new IllegalStateException("killed after step " + progress.steps());
      }
    }

    @Override
    public void stopIfCancelled() {
      if (++checks >= cancelledAtCheck) {
        throw new IllegalStateException("cancelled at check " + checks);
      }
    }

    @Override
    public String location() {
      return saved.getParent().toString();
    }
  }

  /**
   * The keeper is asked before every step whether the training was cancelled (a Spark task killed
   * because its job failed or was cancelled), and a cancel ends it there: part-way through its
   * first epoch, before any state is kept.
   */
  @Test
  void aCancelEndsTheTrainingBeforeItsNextStep(@TempDir Path tmp) {
    SavedStates states = new SavedStates(tmp);
    states.cancelledAtCheck = 5;
    assertThatThrownBy(() -> run(states, new int[1]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cancelled at check 5");
    assertThat(states.checks).isEqualTo(5);
    assertThat(states.saved).as("no epoch ended").doesNotExist();
  }

  /** The same predictions, and every probability within 1e-6. */
  private static void assertSameEvaluation(Evaluation got, Evaluation want) {
    assertThat(got.predicted()).containsExactly(want.predicted());
    for (int i = 0; i < want.probabilities().length; i++) {
      for (int k = 0; k < 2; k++) {
        assertThat(got.probabilities()[i][k]).isCloseTo(want.probabilities()[i][k], offset(1e-6f));
      }
    }
  }

  private static Evaluation run(SavedStates states, int[] resumedAfter) {
    return run(states, resumedAfter, FineTuner.DEFAULT_CHECKPOINT_EVERY, new ArrayList<>(), 1);
  }

  private static Evaluation run(
      SavedStates states,
      int[] resumedAfter,
      Duration every,
      List<FineTuner.Epoch> out,
      int accumulate) {
    return run(states, resumedAfter, every, out, accumulate, null);
  }

  /**
   * The resume tests' run, saving within epochs every {@code every}, {@code accumulate} batches a
   * step, with LoRA adapters when {@code lora} is not null; its epochs into {@code out}.
   */
  private static Evaluation run(
      SavedStates states,
      int[] resumedAfter,
      Duration every,
      List<FineTuner.Epoch> out,
      int accumulate,
      LoraAdapters.Settings lora) {
    LabelledCells train = cells(600, 1);
    LabelledCells validation = cells(120, 2);
    float[] weights = {1f, 1f};
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      if (lora != null) {
        encoder.addAdapters(lora, 42);
      }
      CellClassifier model =
          new CellClassifier(encoder, Pooling.MEAN, CLS, EOS, head(2, 32, 3), new float[2]);
      FineTuner.Settings s = settings(4, LearningRateSchedule.Decay.COSINE, weights, 42);
      FineTuner.Result result =
          FineTuner.train(
              model,
              train,
              validation,
              FineTuner.Settings.builder(weights)
                  .epochs(s.epochs())
                  .learningRate(s.learningRate())
                  .weightDecay(s.weightDecay())
                  .warmupFraction(s.warmupFraction())
                  .decay(s.decay())
                  .batchTokens(s.batchTokens())
                  .dropout(lora == null ? s.dropout() : s.dropout().withAdapters(lora.dropout()))
                  .maxGradNorm(s.maxGradNorm())
                  .seed(s.seed())
                  .checkpointEvery(every)
                  .accumulate(accumulate)
                  .build(),
              states);
      resumedAfter[0] = result.resumedAfter();
      out.addAll(result.epochs());
      return Evaluation.of(model, validation, 4096, weights, 2);
    }
  }

  /**
   * With LoRA adapters a state holds what trains (the adapters, the head, their best values and
   * moments), not the checkpoint's weights, which a resumed run loads again; the run resumes to the
   * uninterrupted one. A state in the earlier layout (every weight under "model." and "best.")
   * resumes too: the checkpoint's weights in it are passed over.
   */
  @Test
  void aLoraStateHoldsWhatTrainsAndResumes(@TempDir Path tmp) throws IOException {
    LoraAdapters.Settings lora = new LoraAdapters.Settings(4, 8, 0.1);
    int[] resumedAfter = new int[1];
    Duration every = FineTuner.DEFAULT_CHECKPOINT_EVERY;
    Evaluation whole =
        run(
            new SavedStates(Files.createDirectory(tmp.resolve("whole"))),
            resumedAfter,
            every,
            new ArrayList<>(),
            1,
            lora);
    SavedStates states = new SavedStates(Files.createDirectory(tmp.resolve("killed")));
    states.stopAfter = 2;
    assertThatThrownBy(() -> run(states, resumedAfter, every, new ArrayList<>(), 1, lora))
        .hasMessageContaining("killed after epoch 2");
    WeightsFile state = WeightsFile.open(states.saved);
    assertThat(state.tensors())
        .containsKeys(
            "model.encoder.layer.1.attention.self.value.lora_B.weight",
            "best.encoder.layer.0.attention.self.query.lora_A.weight",
            "adam.exp_avg.encoder.layer.0.attention.self.query.lora_A.weight",
            "model.head.weight")
        .doesNotContainKeys(
            "model.encoder.layer.0.attention.self.query.weight",
            "best.embeddings.word_embeddings.weight");
    assertThat(state.tensors()).hasSize(4 * (4 * 2 + 2)); // model, best, two moments of each
    // The earlier layout: the checkpoint's weights too, as a state written before held them.
    Map<String, ai.djl.ndarray.NDArray> tensors = new java.util.LinkedHashMap<>();
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu());
        TrainableBert checkpoint =
            TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      for (String name : state.tensors().keySet()) {
        tensors.put(
            name,
            m.create(
                state.floats(name),
                new ai.djl.ndarray.types.Shape(state.tensors().get(name).shape())));
      }
      for (TrainableBert.NamedWeight w : checkpoint.weights()) {
        tensors.put("model." + w.name(), w.value());
        tensors.put("best." + w.name(), w.value());
      }
      Path earlier = tmp.resolve("earlier.safetensors");
      org.cellspark.model.SafetensorsWriter.write(earlier, state.metadata(), tensors);
      Files.move(earlier, states.saved, StandardCopyOption.REPLACE_EXISTING);
    }
    states.stopAfter = Integer.MAX_VALUE;
    Evaluation resumed = run(states, resumedAfter, every, new ArrayList<>(), 1, lora);
    assertThat(resumedAfter[0]).isEqualTo(2);
    assertSameEvaluation(resumed, whole);
  }

  /**
   * A run killed after its second epoch and started again ends as an uninterrupted run does; the
   * state it resumed from is a safetensors file holding the weights, the best weights and AdamW's
   * moments by name, and the numbers in its metadata.
   */
  @Test
  void aResumedRunEndsAsAnUninterruptedOne(@TempDir Path tmp) throws IOException {
    int[] resumedAfter = new int[1];
    Evaluation whole =
        run(new SavedStates(Files.createDirectory(tmp.resolve("whole"))), resumedAfter);
    assertThat(resumedAfter[0]).isZero();
    SavedStates states = new SavedStates(Files.createDirectory(tmp.resolve("killed")));
    states.stopAfter = 2;
    assertThatThrownBy(() -> run(states, resumedAfter))
        .hasMessageContaining("killed after epoch 2");
    WeightsFile state = WeightsFile.open(states.saved);
    assertThat(state.tensors())
        .containsKeys(
            "model.head.weight",
            "best.head.weight",
            "model.encoder.layer.1.output.LayerNorm.bias",
            "adam.exp_avg.head.bias",
            "adam.exp_avg_sq.embeddings.word_embeddings.weight");
    assertThat(state.metadata()).containsEntry("format", "pt");
    assertThat(
            JsonParser.parseString(state.metadata().get(TrainingState.KEY))
                .getAsJsonObject()
                .getAsJsonArray("epochs"))
        .hasSize(2);
    states.stopAfter = Integer.MAX_VALUE;
    Evaluation resumed = run(states, resumedAfter);
    assertThat(resumedAfter[0]).isEqualTo(2);
    assertThat(states.epochsDone).isEqualTo(4);
    assertSameEvaluation(resumed, whole);
  }

  /**
   * Saving within epochs (here after every step), a run killed part-way through its second epoch
   * resumes at the next step of that epoch and ends as an uninterrupted run does: the same
   * predictions, and the same training loss for the epoch it resumed in (its first steps' losses
   * came from the state).
   */
  @Test
  void aRunKilledPartWayThroughAnEpochResumesAtItsNextStep(@TempDir Path tmp) throws IOException {
    int[] resumedAfter = new int[1];
    List<FineTuner.Epoch> wholeEpochs = new ArrayList<>();
    Evaluation whole =
        run(
            new SavedStates(Files.createDirectory(tmp.resolve("whole"))),
            resumedAfter,
            Duration.ZERO,
            wholeEpochs,
            1);
    int batches = LengthBatcher.byLength(cells(600, 1).lengths(), 512).size();
    SavedStates states = new SavedStates(Files.createDirectory(tmp.resolve("killed")));
    states.stopAfterSteps = batches + batches / 2;
    Duration everyStep = Duration.ofNanos(1);
    assertThatThrownBy(() -> run(states, resumedAfter, everyStep, new ArrayList<>(), 1))
        .hasMessageContaining("killed after step " + (batches + batches / 2));
    JsonObject saved =
        JsonParser.parseString(WeightsFile.open(states.saved).metadata().get(TrainingState.KEY))
            .getAsJsonObject();
    assertThat(saved.getAsJsonArray("epochs")).hasSize(1);
    assertThat(saved.getAsJsonObject("current_epoch").get("batches").getAsInt())
        .isEqualTo(batches / 2);
    states.stopAfterSteps = Integer.MAX_VALUE;
    List<FineTuner.Epoch> resumedEpochs = new ArrayList<>();
    Evaluation resumed = run(states, resumedAfter, everyStep, resumedEpochs, 1);
    assertThat(resumedAfter[0]).isEqualTo(1);
    assertSameEvaluation(resumed, whole);
    assertThat(resumedEpochs).hasSameSizeAs(wholeEpochs);
    for (int e = 0; e < wholeEpochs.size(); e++) {
      assertThat(resumedEpochs.get(e).trainLoss())
          .as("epoch %d's training loss", e + 1)
          .isCloseTo(wholeEpochs.get(e).trainLoss(), within(1e-6));
    }
  }

  /**
   * With three batches a step, a run killed two steps into its second epoch saved six batches of
   * it, resumes there, and ends as an uninterrupted run with the same accumulation.
   */
  @Test
  void accumulatedStepsResumePartWayThroughAnEpoch(@TempDir Path tmp) throws IOException {
    int[] resumedAfter = new int[1];
    List<FineTuner.Epoch> wholeEpochs = new ArrayList<>();
    Evaluation whole =
        run(
            new SavedStates(Files.createDirectory(tmp.resolve("whole"))),
            resumedAfter,
            Duration.ZERO,
            wholeEpochs,
            3);
    int batches = LengthBatcher.byLength(cells(600, 1).lengths(), 512).size();
    int steps = (batches + 2) / 3;
    SavedStates states = new SavedStates(Files.createDirectory(tmp.resolve("killed")));
    states.stopAfterSteps = steps + 2;
    Duration everyStep = Duration.ofNanos(1);
    assertThatThrownBy(() -> run(states, resumedAfter, everyStep, new ArrayList<>(), 3))
        .hasMessageContaining("killed after step " + (steps + 2));
    JsonObject saved =
        JsonParser.parseString(WeightsFile.open(states.saved).metadata().get(TrainingState.KEY))
            .getAsJsonObject();
    assertThat(saved.get("steps").getAsInt()).isEqualTo(steps + 2);
    assertThat(saved.getAsJsonObject("current_epoch").get("batches").getAsInt()).isEqualTo(6);
    states.stopAfterSteps = Integer.MAX_VALUE;
    List<FineTuner.Epoch> resumedEpochs = new ArrayList<>();
    Evaluation resumed = run(states, resumedAfter, everyStep, resumedEpochs, 3);
    assertThat(resumedAfter[0]).isEqualTo(1);
    assertSameEvaluation(resumed, whole);
    for (int e = 0; e < wholeEpochs.size(); e++) {
      assertThat(resumedEpochs.get(e).trainLoss())
          .isCloseTo(wholeEpochs.get(e).trainLoss(), within(1e-6));
    }
  }

  /** A damaged checkpoint is refused naming where it is kept (not the task's local copy). */
  @Test
  void aDamagedCheckpointIsRefusedNamingItsFolder(@TempDir Path tmp) throws IOException {
    SavedStates states = new SavedStates(tmp);
    Files.writeString(states.saved, "not a training state");
    assertThatThrownBy(() -> run(states, new int[1]))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("Cannot resume the fine-tune from its checkpoint in " + tmp)
        .hasMessageContaining("Delete " + tmp + " to start afresh");
  }

  @Test
  void frozenLayersAndTheEmbeddingsStayAsTheyWere() {
    float[] weights = {1f, 1f};
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model =
          new CellClassifier(encoder, Pooling.MEAN, CLS, EOS, head(2, 32, 3), new float[2]);
      Map<String, float[]> before = new HashMap<>();
      for (TrainableBert.NamedWeight w : model.weights()) {
        before.put(w.name(), w.value().toFloatArray());
      }
      FineTuner.train(
          model,
          cells(240, 1),
          cells(40, 2),
          FineTuner.Settings.builder(weights)
              .epochs(2)
              .learningRate(3e-3)
              .weightDecay(0.01)
              .batchTokens(512)
              .dropout(DROPOUT)
              .freezeLayers(1)
              .build());
      for (TrainableBert.NamedWeight w : model.weights()) {
        boolean frozen =
            w.name().startsWith("embeddings.") || w.name().startsWith("encoder.layer.0.");
        float[] after = w.value().toFloatArray();
        if (frozen) {
          assertThat(after).as(w.name() + " (frozen)").isEqualTo(before.get(w.name()));
          assertThat(w.value().hasGradient())
              .as(w.name() + " records no gradient: the backward pass skips it")
              .isFalse();
        } else {
          assertThat(after).as(w.name() + " (trained)").isNotEqualTo(before.get(w.name()));
        }
      }
    }
  }
}
