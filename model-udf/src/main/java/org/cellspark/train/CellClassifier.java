package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.Dropout;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.infer.Pooling;
import org.cellspark.model.TrainableBert;

/**
 * Geneformer with a classification head, as fine-tuning trains it: the encoder's last hidden states
 * pooled per cell (the mean of its gene tokens, or its {@code <cls>} vector, as {@code embed}
 * pools), then one linear layer to a score per class. Mean pooling is how a head is put on a model
 * pretrained without {@code <cls>} (V1); {@code <cls>} is for models trained with one.
 */
public final class CellClassifier implements Classifier<LabelledCells> {
  private final TrainableBert encoder;
  private final Pooling pooling;
  private final int clsId;
  private final int eosId;
  private final LinearHead head;

  /**
   * @param clsId the vocabulary's {@code <cls>}, or -1
   * @param eosId the vocabulary's {@code <eos>}, or -1
   * @param headWeight (classes, hidden), the head's starting weights
   * @param headBias (classes)
   */
  public CellClassifier(
      TrainableBert encoder,
      Pooling pooling,
      int clsId,
      int eosId,
      float[] headWeight,
      float[] headBias) {
    this.encoder = encoder;
    this.pooling = pooling;
    this.clsId = clsId;
    this.eosId = eosId;
    this.head =
        new LinearHead(encoder.manager(), headWeight, headBias, encoder.config().hiddenSize());
  }

  public int clsId() {
    return clsId;
  }

  public int eosId() {
    return eosId;
  }

  public Pooling pooling() {
    return pooling;
  }

  public int classes() {
    return head.classes();
  }

  @Override
  public TrainableBert encoder() {
    return encoder;
  }

  /** Every trained weight: the encoder's, then {@code head.weight} and {@code head.bias}. */
  @Override
  public List<TrainableBert.NamedWeight> weights() {
    return head.after(encoder.weights());
  }

  /**
   * Scores (cells, classes) for a batch, recording gradients when inside a collector.
   *
   * @param dropout the rates to train with ({@link DropoutRates#NONE} to evaluate)
   */
  public NDArray logits(NDManager m, TrainingBatch b, DropoutRates dropout) {
    NDArray last =
        encoder.lastHiddenState(
            b.ids(m), b.mask(m), dropout.hidden(), dropout.attention(), dropout.adapters());
    NDArray pooled;
    if (pooling == Pooling.CLS) {
      pooled = last.get(":, 0, :");
    } else {
      NDArray genes = b.genes(m).expandDims(-1);
      pooled = last.mul(genes).sum(new int[] {1}).div(genes.sum(new int[] {1}));
    }
    if (dropout.classifier() > 0) {
      pooled = Dropout.dropout(pooled, (float) dropout.classifier(), true).singletonOrThrow();
    }
    return head.apply(pooled);
  }

  @Override
  public NDArray loss(
      NDManager m,
      LabelledCells cells,
      int[] positions,
      DropoutRates dropout,
      float[] classWeights) {
    TrainingBatch b = batch(cells, positions);
    return WeightedCrossEntropy.loss(logits(m, b, dropout), b.labels(), classWeights);
  }

  @Override
  public Score score(LabelledCells cells, long batchTokens, float[] classWeights) {
    Evaluation e = Evaluation.of(this, cells, batchTokens, classWeights, classes());
    return new Score(e.loss(), e.macroF1());
  }

  /** The cells at {@code positions}, padded into one batch. */
  TrainingBatch batch(LabelledCells cells, int[] positions) {
    List<int[]> tokens = new ArrayList<>(positions.length);
    int[] labels = new int[positions.length];
    for (int i = 0; i < positions.length; i++) {
      tokens.add(cells.tokens().get(positions[i]));
      labels[i] = cells.labels()[positions[i]];
    }
    return TrainingBatch.of(tokens, labels, clsId, eosId);
  }
}
