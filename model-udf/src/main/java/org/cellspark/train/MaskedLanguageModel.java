package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.TrainableBert;

/**
 * Geneformer as pretraining trains it (transformers' {@code BertForMaskedLM}, which upstream's
 * {@code GeneformerPretrainer} trains): some genes of each cell masked ({@link Masking}), and the
 * model asked to name them from the rest of the cell; the loss is the cross-entropy over the
 * vocabulary at the masked positions, its metric the share named right. The head is computed at the
 * masked positions only (transformers scores every position, then ignores all but those).
 *
 * <p>A training step's masks are drawn from libtorch's generator before its forward pass (the
 * generator {@link FineTuner} seeds with {@code seed + step}, so a resumed run masks as the
 * uninterrupted one); an evaluation's from the generator seeded with the cells' evaluation seed,
 * the same every epoch.
 */
public final class MaskedLanguageModel implements Classifier<MaskedCells> {
  private final TrainableBert encoder;
  private final MaskedLmHead head;

  public MaskedLanguageModel(TrainableBert encoder, MaskedLmHeadWeights head) {
    this.encoder = encoder;
    this.head = new MaskedLmHead(encoder, head);
  }

  @Override
  public TrainableBert encoder() {
    return encoder;
  }

  @Override
  public List<TrainableBert.NamedWeight> weights() {
    return head.after(encoder.weights());
  }

  @Override
  public String metric() {
    return "masked-gene accuracy";
  }

  /**
   * Scores (masked positions, vocabulary) for a batch, in the batch's order of masked positions.
   */
  NDArray logits(NDManager m, MaskedBatch b, DropoutRates dropout) {
    NDArray last =
        encoder.lastHiddenState(
            b.ids(m), b.mask(m), dropout.hidden(), dropout.attention(), dropout.adapters());
    NDArray rows = last.reshape(-1, last.getShape().get(2));
    return head.apply(rows.get(new NDIndex("{}", m.create(b.positions()))));
  }

  /** The cells at {@code chosen} masked with draws from libtorch's generator as it stands. */
  static MaskedBatch masked(NDManager m, MaskedCells examples, int[] chosen) {
    int length = examples.longest(chosen);
    float[] draws = m.randomUniform(0f, 1f, new Shape(3, chosen.length, length)).toFloatArray();
    return MaskedBatch.of(examples, chosen, draws);
  }

  /** The mean cross-entropy over the masked genes of the cells at {@code positions}. */
  @Override
  public NDArray loss(
      NDManager m,
      MaskedCells examples,
      int[] positions,
      DropoutRates dropout,
      float[] classWeights) {
    MaskedBatch b = masked(m, examples, positions);
    if (b.masked() == 0) { // the job keeps only cells with a gene; a batch of none has no loss
      throw new IllegalArgumentException("a training batch without a gene to mask");
    }
    return WeightedCrossEntropy.mean(logits(m, b, dropout), b.labels());
  }

  /**
   * The loss and the masked-gene accuracy over every masked gene of the examples, without dropout
   * or gradients; masks drawn from the examples' evaluation seed.
   */
  @Override
  public Score score(MaskedCells examples, long batchTokens, float[] classWeights) {
    double lossSum = 0;
    long right = 0;
    long masked = 0;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      JniUtils.setSeed(examples.evaluationSeed());
      for (LengthBatcher.Batch batch : LengthBatcher.byLength(examples.lengths(), batchTokens)) {
        try (NDManager m = manager().newSubManager()) {
          MaskedBatch b = masked(m, examples, batch.cells());
          if (b.masked() == 0) {
            continue;
          }
          NDArray logits = logits(m, b, DropoutRates.NONE);
          lossSum += WeightedCrossEntropy.mean(logits, b.labels()).getFloat() * b.masked();
          long[] predicted = logits.argMax(1).toLongArray();
          for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == b.labels()[i] ? 1 : 0;
          }
          masked += b.masked();
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    return masked == 0
        ? new Score(Double.NaN, Double.NaN)
        : new Score(lossSum / masked, (double) right / masked);
  }
}
