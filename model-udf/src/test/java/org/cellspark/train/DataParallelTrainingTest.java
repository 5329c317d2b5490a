package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ai.djl.Device;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cellspark.collective.Collective;
import org.cellspark.collective.RingAllReduce;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.infer.Pooling;
import org.cellspark.model.TrainableBert;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training: two workers, each a thread with its own copy of the model, joined by a
 * ring on the loopback, train the model that one worker accumulating two batches a step trains
 * (FineTunerTest's cells and settings: dropout on, so the batches' masks must follow them to
 * whichever worker computes them; an odd number of batches, so the last step of each epoch has a
 * batch for worker 0 only).
 */
class DataParallelTrainingTest {
  private static final float[] WEIGHTS = {1f, 1f};
  private static final LabelledCells TRAIN = FineTunerTest.cells(290, 1);
  private static final LabelledCells VALIDATION = FineTunerTest.cells(60, 2);
  private static final LabelledCells NONE = new LabelledCells(List.of(), new int[0]);

  private static FineTuner.Settings settings(int accumulate) {
    return FineTuner.Settings.builder(WEIGHTS)
        .epochs(3)
        .learningRate(3e-3)
        .weightDecay(0.01)
        .warmupFraction(0.1)
        .batchTokens(512)
        .dropout(DropoutRates.of(0.1))
        .seed(42)
        .accumulate(accumulate)
        .build();
  }

  /** What a worker ends with: its epochs' numbers and every weight's values. */
  private record Trained(
      List<FineTuner.Epoch> epochs, List<float[]> weights, double[] gradientSeconds) {}

  /** FineTunerTest's classifier: mean pooling, its seeded head. */
  private static CellClassifier classifier(TrainableBert encoder) {
    return new CellClassifier(
        encoder,
        Pooling.MEAN,
        FineTunerTest.CLS,
        FineTunerTest.EOS,
        FineTunerTest.head(2, 32, 3),
        new float[2]);
  }

  private static Trained train(
      int accumulate, LabelledCells validation, FineTuner.Checkpoints states, Collective workers) {
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model = classifier(encoder);
      FineTuner.Result result =
          FineTuner.train(model, TRAIN, validation, settings(accumulate), states, workers);
      List<float[]> weights = new ArrayList<>();
      for (TrainableBert.NamedWeight w : model.weights()) {
        weights.add(w.value().toFloatArray());
      }
      return new Trained(result.epochs(), weights, result.gradientSeconds());
    }
  }

  /** Keeps nothing; fails if asked to (only worker 0 keeps states). */
  private static final class NoStates implements FineTuner.Checkpoints {
    int saves;

    @Override
    public boolean latest(Path into) {
      return false;
    }

    @Override
    public void save(Path state, FineTuner.Progress progress) {
      saves++;
    }

    @Override
    public String location() {
      return "(nowhere)";
    }
  }

  @Test
  void twoWorkersTrainWhatOneAccumulatingTwoBatchesTrains(@TempDir Path tmp) throws Exception {
    assertThat(LengthBatcher.byLength(TRAIN.lengths(), 512).size() % 2)
        .as("an odd number of batches")
        .isEqualTo(1);
    Trained alone = train(2, VALIDATION, new NoStates(), Collective.ALONE);
    NoStates first = new NoStates();
    NoStates second = new NoStates();
    List<Trained> workers =
        assertTimeoutPreemptively(
            Duration.ofMinutes(5),
            () -> {
              RingAllReduce.Endpoint a = RingAllReduce.Endpoint.open();
              RingAllReduce.Endpoint b = RingAllReduce.Endpoint.open();
              List<InetSocketAddress> ring =
                  List.of(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), a.port()),
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port()));
              byte[] secret =
                  Files.readString(Fixtures.vocab("models/tiny-v2").resolve("config.json"))
                      .getBytes(StandardCharsets.UTF_8);
              ExecutorService pool = Executors.newFixedThreadPool(2);
              try {
                Future<Trained> zero =
                    pool.submit(
                        () -> {
                          try (RingAllReduce r =
                              RingAllReduce.join(0, ring, a, secret, Duration.ofSeconds(30))) {
                            return train(1, VALIDATION, first, r);
                          }
                        });
                Future<Trained> one =
                    pool.submit(
                        () -> {
                          try (RingAllReduce r =
                              RingAllReduce.join(1, ring, b, secret, Duration.ofSeconds(30))) {
                            return train(1, NONE, second, r); // scores nothing: worker 0 does
                          }
                        });
                return List.of(zero.get(), one.get());
              } finally {
                pool.shutdownNow();
                a.close();
                b.close();
              }
            });
    assertThat(alone.gradientSeconds()).as("one worker sums nothing").isEmpty();
    assertThat(workers.get(0).gradientSeconds())
        .as("each worker's seconds in the sums, the same list on both")
        .hasSize(2)
        .containsExactly(workers.get(1).gradientSeconds());
    assertThat(java.util.Arrays.stream(workers.get(0).gradientSeconds()).min().orElseThrow())
        .as("both summed (measured, not left at 0)")
        .isPositive();
    assertThat(first.saves).as("worker 0 keeps a state after each epoch").isEqualTo(3);
    assertThat(second.saves).as("worker 1 keeps none").isZero();
    for (Trained worker : workers) {
      assertThat(worker.epochs()).hasSize(3);
      for (int e = 0; e < 3; e++) {
        FineTuner.Epoch mine = worker.epochs().get(e);
        FineTuner.Epoch theirs = alone.epochs().get(e);
        assertThat(mine.trainLoss())
            .isCloseTo(theirs.trainLoss(), org.assertj.core.api.Assertions.within(1e-6));
        assertThat(mine.validationLoss()).isEqualTo(theirs.validationLoss());
        assertThat(mine.validationMetric()).isEqualTo(theirs.validationMetric());
      }
      double worst = 0;
      for (int i = 0; i < alone.weights().size(); i++) {
        float[] mine = worker.weights().get(i);
        float[] theirs = alone.weights().get(i);
        for (int j = 0; j < mine.length; j++) {
          worst = Math.max(worst, Math.abs(mine[j] - theirs[j]));
        }
      }
      assertThat(worst).as("the largest difference from one worker's weights").isLessThan(1e-6);
    }
    for (int i = 0; i < alone.weights().size(); i++) {
      assertThat(workers.get(1).weights().get(i))
          .as("the two workers' copies, bit for bit")
          .isEqualTo(workers.get(0).weights().get(i));
    }
  }

  /**
   * Each batch of a step draws masks of its own: one batch given twice in a step (dropout on) has
   * two losses. (A batch's seed moves with its place within the 32 bits libtorch's CPU generator
   * keeps: seeds 2^32 apart gave both the same masks.)
   */
  @Test
  void theBatchesOfAStepDrawMasksOfTheirOwn() {
    try (TrainableBert encoder =
        TrainableBert.load(Fixtures.vocab("models/tiny-v2"), Device.cpu())) {
      CellClassifier model = classifier(encoder);
      FineTuner.Settings s = settings(2);
      int[] batch = {0, 1, 2, 3, 4, 5, 6, 7};
      java.util.function.Function<ai.djl.ndarray.NDManager, ai.djl.ndarray.NDArray> loss =
          m -> model.loss(m, TRAIN, batch, s.dropout(), WEIGHTS);
      float[] losses =
          FineTuner.step(
              model,
              List.of(loss, loss),
              model.weights(),
              new AdamW(1e-3, 0.9, 0.999, 1e-8, 0),
              1e-3,
              s);
      assertThat(losses[1]).isNotEqualTo(losses[0]);
    }
  }
}
