package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.norm.Dropout;
import java.util.List;
import org.cellspark.model.TrainableBert;

/**
 * Geneformer with a token-classification head, as upstream's gene classifier fine-tunes it
 * (transformers' {@code BertForTokenClassification}): every token's last hidden state, dropout,
 * then one linear layer to a score per class. Only the labelled genes' scores are computed past the
 * dropout (the others would be thrown away by the loss); the dropout mask covers every token, as
 * upstream draws it.
 */
public final class GeneClassifier implements Classifier<LabelledTokens> {
  private final TrainableBert encoder;
  private final LinearHead head;

  /**
   * @param headWeight (classes, hidden), the head's starting weights
   * @param headBias (classes)
   */
  public GeneClassifier(TrainableBert encoder, float[] headWeight, float[] headBias) {
    this.encoder = encoder;
    this.head =
        new LinearHead(encoder.manager(), headWeight, headBias, encoder.config().hiddenSize());
  }

  public int classes() {
    return head.classes();
  }

  @Override
  public TrainableBert encoder() {
    return encoder;
  }

  @Override
  public List<TrainableBert.NamedWeight> weights() {
    return head.after(encoder.weights());
  }

  /** Scores (labelled tokens, classes) for a batch, in the batch's order of labelled tokens. */
  NDArray logits(NDManager m, TokenBatch b, DropoutRates dropout) {
    NDArray last =
        encoder.lastHiddenState(
            b.ids(m), b.mask(m), dropout.hidden(), dropout.attention(), dropout.adapters());
    if (dropout.classifier() > 0) {
      last = Dropout.dropout(last, (float) dropout.classifier(), true).singletonOrThrow();
    }
    NDArray rows = last.reshape(-1, last.getShape().get(2));
    NDArray labelled = rows.get(new NDIndex("{}", m.create(b.positions())));
    return head.apply(labelled);
  }

  /**
   * Cross-entropy over the batch's labelled genes (weighted per class and averaged as PyTorch's
   * {@code cross_entropy(weight=..., ignore_index=-100)}).
   */
  @Override
  public NDArray loss(
      NDManager m,
      LabelledTokens examples,
      int[] positions,
      DropoutRates dropout,
      float[] classWeights) {
    TokenBatch b = TokenBatch.of(examples, positions);
    if (b.labelled() == 0) {
      throw new IllegalArgumentException("a training batch without a labelled gene");
    }
    return WeightedCrossEntropy.loss(logits(m, b, dropout), b.labels(), classWeights);
  }

  @Override
  public Score score(LabelledTokens examples, long batchTokens, float[] classWeights) {
    TokenEvaluation e = TokenEvaluation.of(this, examples, batchTokens, classWeights);
    return new Score(e.loss(), e.macroF1());
  }
}
