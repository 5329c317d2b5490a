package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cellspark.infer.Pooling;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The fine-tuning loop learns a label that depends on gene order, which the tiny random model's
 * pooled embedding hardly shows: cells of 12 to 20 genes (<cls> first, <eos> last), every one
 * holding gene token 10, labelled 1 when it ranks among the first three genes. Before training the
 * head is at chance; after, the held-out cells' macro-F1 is high. The same seed gives the same
 * model twice.
 */
class FineTunerTest {
  private static final int CLS = 2;
  private static final int EOS = 3;

  private static LabelledCells cells(int n, long seed) {
    Random r = new Random(seed);
    List<int[]> tokens = new ArrayList<>();
    int[] labels = new int[n];
    for (int c = 0; c < n; c++) {
      List<Integer> genes = new ArrayList<>();
      for (int g = 4; g < 34; g++) {
        genes.add(g);
      }
      java.util.Collections.shuffle(genes, r);
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

  private static float[] head(int classes, int hidden, long seed) {
    Random r = new Random(seed);
    float[] w = new float[classes * hidden];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (0.02 * r.nextGaussian());
    }
    return w;
  }

  private record Run(List<FineTuner.Epoch> epochs, Evaluation before, Evaluation after) {}

  private static Run fineTune() {
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
              new FineTuner.Settings(
                  6, 3e-3, 0.01, 0.1, LearningRateSchedule.Decay.LINEAR, 512, 0, weights, 0, 42),
              2);
      return new Run(epochs, before, Evaluation.of(model, validation, 4096, weights, 2));
    }
  }

  @Test
  void learnsAnOrderDependentLabelAndIsReproducible() {
    Run run = fineTune();
    assertThat(run.before().macroF1()).isLessThan(0.7);
    assertThat(run.after().macroF1()).as("%s", run.epochs()).isGreaterThan(0.9);
    assertThat(run.epochs().get(run.epochs().size() - 1).trainLoss())
        .isLessThan(run.epochs().get(0).trainLoss());
    Run again = fineTune();
    assertThat(Arrays.equals(again.after().predicted(), run.after().predicted())).isTrue();
    assertThat(again.after().probabilities()[0]).containsExactly(run.after().probabilities()[0]);
  }

  /** Checkpoints kept as bytes (as a file would keep them); a kill after {@code stopAfter}. */
  private static final class SavedStates implements FineTuner.Checkpoints {
    byte[] latest;
    int stopAfter = Integer.MAX_VALUE;

    @Override
    public FineTuner.State latest() {
      if (latest == null) {
        return null;
      }
      try (java.io.ObjectInputStream in =
          new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(latest))) {
        return (FineTuner.State) in.readObject();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void save(FineTuner.State state) {
      try (java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
          java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(b)) {
        out.writeObject(state);
        out.flush();
        latest = b.toByteArray();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (state.epochsDone() >= stopAfter) {
        throw new IllegalStateException("killed after epoch " + state.epochsDone());
      }
    }
  }

  private static Evaluation run(SavedStates states) {
    LabelledCells train = cells(600, 1);
    LabelledCells validation = cells(120, 2);
    float[] weights = {1f, 1f};
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model =
          new CellClassifier(encoder, Pooling.MEAN, CLS, EOS, head(2, 32, 3), new float[2]);
      FineTuner.train(
          model,
          train,
          validation,
          new FineTuner.Settings(
              4, 3e-3, 0.01, 0.1, LearningRateSchedule.Decay.COSINE, 512, 0, weights, 0, 42),
          2,
          states);
      return Evaluation.of(model, validation, 4096, weights, 2);
    }
  }

  /** A run killed after its second epoch and started again ends as an uninterrupted run does. */
  @Test
  void aResumedRunEndsAsAnUninterruptedOne() {
    Evaluation whole = run(new SavedStates());
    SavedStates states = new SavedStates();
    states.stopAfter = 2;
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> run(states))
        .hasMessageContaining("killed after epoch 2");
    assertThat(states.latest().epochsDone()).isEqualTo(2);
    states.stopAfter = Integer.MAX_VALUE;
    Evaluation resumed = run(states);
    assertThat(states.latest().epochsDone()).isEqualTo(4);
    assertThat(resumed.predicted()).containsExactly(whole.predicted());
    for (int i = 0; i < whole.probabilities().length; i++) {
      for (int k = 0; k < 2; k++) {
        assertThat(resumed.probabilities()[i][k])
            .isCloseTo(whole.probabilities()[i][k], org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
  }
}
