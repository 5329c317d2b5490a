package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.model.BertConfig;
import org.junit.jupiter.api.Test;

/**
 * The epoch's batch order: one batch a step, the batches shuffled as before; several a step, steps
 * of batches of about the same cost, shuffled, the short step last.
 */
class StepOrderTest {
  /** Geneformer V1-10M's shape: hidden 256, intermediate 512. */
  private static final BertConfig V1 =
      new BertConfig(25_426, 256, 6, 4, 512, "relu", 1e-12, 2048, 2, 0);

  /** A batch of {@code cells} cells padded to {@code length}; its id in the first cell. */
  private static LengthBatcher.Batch batch(int id, int cells, int length) {
    int[] positions = new int[cells];
    positions[0] = id;
    return new LengthBatcher.Batch(positions, length);
  }

  /** The batches the batcher cuts from cells of 256 to 2,048 genes under a 4,096-token budget. */
  private static List<LengthBatcher.Batch> mixedBatches(int cells, long seed) {
    Random r = new Random(seed);
    int[] lengths = new int[cells];
    for (int i = 0; i < cells; i++) {
      lengths[i] = 256 + r.nextInt(2048 - 256 + 1);
    }
    return LengthBatcher.byLength(lengths, 4096);
  }

  private static double cost(LengthBatcher.Batch b) {
    // The multiply-adds of a batch, written out: per token and layer 8h^2 + 4hI for the
    // projections and feed-forward, 4hL for attention.
    double h = 256;
    double i = 512;
    double l = b.paddedLength();
    return b.cells().length * l * (8 * h * h + 4 * h * i + 4 * h * l);
  }

  /** What the steps wait for: each step's dearest batch against its cheapest, summed. */
  private static double spread(List<LengthBatcher.Batch> order, int perStep) {
    double sum = 0;
    for (int i = 0; i < order.size(); i += perStep) {
      List<LengthBatcher.Batch> step = order.subList(i, Math.min(order.size(), i + perStep));
      if (step.size() == perStep) {
        double max = step.stream().mapToDouble(StepOrderTest::cost).max().orElseThrow();
        double min = step.stream().mapToDouble(StepOrderTest::cost).min().orElseThrow();
        sum += max - min;
      }
    }
    return sum;
  }

  @Test
  void oneBatchAStepIsTheSeededShuffle() {
    List<LengthBatcher.Batch> batches = mixedBatches(300, 1);
    List<LengthBatcher.Batch> expected = new ArrayList<>(batches);
    Collections.shuffle(expected, new Random(43));
    assertThat(StepOrder.of(batches, 1, 43, V1)).containsExactlyElementsOf(expected);
  }

  @Test
  void noBatchesNoSteps() {
    assertThat(StepOrder.of(List.of(), 4, 1, V1)).isEmpty();
  }

  @Test
  void stepsHoldBatchesOfTheSameCostAndTheShortStepComesLast() {
    // Costs 1 < 2 < 3 < 4 < 5 by length; two a step: {5, 4} and {3, 2} in either order, then {1}.
    List<LengthBatcher.Batch> batches = new ArrayList<>();
    for (int id = 1; id <= 5; id++) {
      batches.add(batch(id, 1, 100 * id));
    }
    Set<List<Integer>> firstSteps = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      List<Integer> ids =
          StepOrder.of(batches, 2, seed, V1).stream().map(b -> b.cells()[0]).toList();
      assertThat(ids).hasSize(5).endsWith(1);
      assertThat(List.of(ids.subList(0, 2), ids.subList(2, 4)))
          .containsExactlyInAnyOrder(List.of(5, 4), List.of(3, 2));
      firstSteps.add(ids.subList(0, 2));
    }
    assertThat(firstSteps).as("the steps' order is shuffled").hasSize(2);
  }

  @Test
  void aStepsBatchesCostAboutTheSameWhereAShuffleMixesThem() {
    List<LengthBatcher.Batch> batches = mixedBatches(3000, 7);
    for (int perStep : new int[] {2, 4}) {
      List<LengthBatcher.Batch> order = StepOrder.of(batches, perStep, 11, V1);
      assertThat(order)
          .as("every batch once")
          .hasSameSizeAs(batches)
          .containsExactlyInAnyOrderElementsOf(batches);
      List<LengthBatcher.Batch> shuffled = new ArrayList<>(batches);
      Collections.shuffle(shuffled, new Random(11));
      double grouped = spread(order, perStep);
      double mixed = spread(shuffled, perStep);
      assertThat(grouped).as("steps of %d", perStep).isLessThan(mixed / 10);
      assertThat(order)
          .as("the same order twice")
          .isEqualTo(StepOrder.of(batches, perStep, 11, V1));
      assertThat(order).as("another epoch").isNotEqualTo(StepOrder.of(batches, perStep, 12, V1));
    }
  }

  @Test
  void windowsKeepTheStepsMakeupChangingFromEpochToEpoch() {
    List<LengthBatcher.Batch> batches = mixedBatches(3000, 3);
    Set<Set<LengthBatcher.Batch>> one = steps(StepOrder.of(batches, 2, 1, V1), 2);
    Set<Set<LengthBatcher.Batch>> two = steps(StepOrder.of(batches, 2, 2, V1), 2);
    Set<Set<LengthBatcher.Batch>> both = new HashSet<>(one);
    both.retainAll(two);
    assertThat(both.size()).as("steps made again in the next epoch").isLessThan(one.size() / 4);
  }

  @Test
  void theCostIsTheMultiplyAddsOfTheBatch() {
    LengthBatcher.Batch a = batch(0, 2, 2048);
    LengthBatcher.Batch b = batch(1, 16, 256);
    // The same tokens (4,096), but attention makes the long cells' batch about twice as dear in
    // this shape.
    assertThat(StepOrder.cost(a, V1) / StepOrder.cost(b, V1))
        .isCloseTo(cost(a) / cost(b), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(cost(a) / cost(b)).isGreaterThan(2);
  }

  /** The full steps, each the set of its batches (a batch equals only itself). */
  private static Set<Set<LengthBatcher.Batch>> steps(List<LengthBatcher.Batch> order, int perStep) {
    Set<Set<LengthBatcher.Batch>> out = new HashSet<>();
    for (int i = 0; i + perStep <= order.size(); i += perStep) {
      out.add(new HashSet<>(order.subList(i, i + perStep)));
    }
    return out;
  }
}
