package org.cellspark.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.model.BertConfig;

/**
 * An epoch's batch order. One batch a step: the batches shuffled with the seed. Several a step
 * (gradient accumulation, or data-parallel workers each computing some of them): the shuffled
 * batches taken a window of {@link #WINDOW_STEPS} steps at a time, each window sorted by the
 * batches' cost and cut into steps, and the steps then shuffled. So a step's batches cost about the
 * same, which is what data-parallel workers need: each step waits for its slowest batch, and
 * batches under one token budget cost up to dozens of times one another (a batch of two cells of
 * 2,048 genes against one cell of 256: attention grows with the square of the length), so batches
 * paired at random left one worker waiting for most of an epoch. Windows keep the steps' makeup
 * different from epoch to epoch, as Hugging Face's length-grouped sampler (Geneformer's
 * pretraining) does with its megabatches. A step short of batches (the epoch's batches not a
 * multiple of the step's) comes last, where the training loop expects it.
 *
 * <p>The order depends only on the batches, the batches a step, the model's shape and the seed, so
 * {@code n} workers accumulating {@code a} batches still follow the order one task accumulating
 * {@code n * a} follows, and a resumed epoch the order it was begun in.
 */
final class StepOrder {
  /** Steps sorted together: enough for close neighbours, few enough to mix the epoch. */
  static final int WINDOW_STEPS = 64;

  private StepOrder() {}

  /**
   * Epoch {@code e}'s order of {@code batches} (cells by their positions, as the batcher cut them)
   * for steps of {@code perStep} batches; {@code seed} is the epoch's ({@code seed + e}).
   */
  static List<LengthBatcher.Batch> of(
      List<LengthBatcher.Batch> batches, int perStep, long seed, BertConfig model) {
    Random random = new Random(seed);
    List<LengthBatcher.Batch> shuffled = new ArrayList<>(batches);
    Collections.shuffle(shuffled, random);
    if (perStep <= 1 || shuffled.isEmpty()) {
      return shuffled; // one batch a step: the plain shuffle, as before steps of several
    }
    Comparator<LengthBatcher.Batch> dearestFirst =
        Comparator.comparingDouble((LengthBatcher.Batch b) -> cost(b, model)).reversed();
    List<List<LengthBatcher.Batch>> steps = new ArrayList<>();
    int window = WINDOW_STEPS * perStep;
    for (int from = 0; from < shuffled.size(); from += window) {
      List<LengthBatcher.Batch> w =
          new ArrayList<>(shuffled.subList(from, Math.min(shuffled.size(), from + window)));
      w.sort(dearestFirst); // stable: equal costs keep their shuffled order
      for (int i = 0; i < w.size(); i += perStep) {
        steps.add(w.subList(i, Math.min(w.size(), i + perStep)));
      }
    }
    // Only the last window can end in a short step; it stays at the end.
    List<LengthBatcher.Batch> shortStep =
        steps.get(steps.size() - 1).size() < perStep ? steps.remove(steps.size() - 1) : List.of();
    Collections.shuffle(steps, random);
    List<LengthBatcher.Batch> out = new ArrayList<>(batches.size());
    steps.forEach(out::addAll);
    out.addAll(shortStep);
    return out;
  }

  /**
   * A batch's cost in proportion to its floating-point work, forward and backward alike: per token
   * and layer, the projections and the feed-forward take {@code 8h^2 + 4hI} and attention {@code
   * 4hL} multiply-adds ({@code h} hidden size, {@code I} intermediate size, {@code L} the padded
   * length), so cells x L x (2h + I + L).
   */
  static double cost(LengthBatcher.Batch b, BertConfig model) {
    double length = b.paddedLength();
    return b.cells().length
        * length
        * (2.0 * model.hiddenSize() + model.intermediateSize() + length);
  }
}
