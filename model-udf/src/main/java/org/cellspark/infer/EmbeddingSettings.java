package org.cellspark.infer;

import java.io.Serializable;
import org.cellspark.error.UserException;
import org.cellspark.vocab.Vocabulary;

/**
 * What to embed and how to batch it.
 *
 * @param layer upstream's {@code emb_layer}: -1 (second to last layer, the default) or 0 (last)
 * @param pooling mean or cls
 * @param batchTokens padded tokens per batch (cells x longest cell in the batch), or {@link
 *     BatchBudget#AUTO} for the budget of the device the cells are embedded on
 * @param padId token id of {@code <pad>}
 * @param clsId token id of {@code <cls>}, or -1 when the vocabulary has none
 * @param eosId token id of {@code <eos>}, or -1 when the vocabulary has none
 */
public record EmbeddingSettings(
    int layer, Pooling pooling, long batchTokens, int padId, int clsId, int eosId)
    implements Serializable {

  public EmbeddingSettings {
    if (layer != -1 && layer != 0) {
      throw UserException.of(
          "--layer %d is not -1 (second to last layer) or 0 (last layer), as upstream's emb_layer",
          layer);
    }
    if (batchTokens < 0) {
      throw UserException.of(
          "--batch-tokens must be a positive number of tokens, or auto; got %d", batchTokens);
    }
    if (pooling == Pooling.CLS && clsId < 0) {
      throw UserException.of(
          "--pooling cls needs a vocabulary with <cls> (V2); this one has none: use --pooling"
              + " mean");
    }
  }

  /**
   * Settings for tokens of {@code vocabulary}: its {@code <pad>}, {@code <cls>} and {@code <eos>}.
   */
  public static EmbeddingSettings of(
      int layer, Pooling pooling, long batchTokens, Vocabulary vocabulary) {
    return new EmbeddingSettings(
        layer,
        pooling,
        batchTokens,
        vocabulary.padId(),
        vocabulary.clsId().orElse(-1),
        vocabulary.eosId().orElse(-1));
  }

  /** The hidden state to take: {@code numLayers + layer}, as upstream's {@code layer_to_quant}. */
  public int hiddenStateIndex(int numLayers) {
    return numLayers + layer;
  }
}
