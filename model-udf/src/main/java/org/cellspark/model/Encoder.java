package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * A BERT encoder over right-padded batches. Inputs: {@code inputIds} int64 {@code (batch, length)}
 * and {@code attentionMask} {@code (batch, length)} with 1 for real tokens and 0 for padding, both
 * on the encoder's device. Hidden state 0 is the embedding output and hidden state {@code k} the
 * output of layer {@code k}, as in Hugging Face's {@code hidden_states}.
 *
 * <p>Results are NDArrays created in the caller's {@link ai.djl.ndarray.NDScope}: run calls inside
 * one and copy out what you keep. Implementations are safe to call from several threads.
 */
public interface Encoder extends AutoCloseable {
  BertConfig config();

  /** Hidden state {@code layer} (0..numLayers), {@code (batch, length, hidden)}. */
  NDArray hiddenState(NDArray inputIds, NDArray attentionMask, int layer);

  /** Every hidden state, embeddings first ({@code numLayers + 1} arrays). */
  NDList hiddenStates(NDArray inputIds, NDArray attentionMask);

  /**
   * "fused" (a Hugging Face folder in Cellspark's program), "native" (the same run with DJL
   * operations) or "torchscript" (a user's traced file).
   */
  String kind();

  /**
   * Whether attention runs in a fused kernel, holding no length x length scores (which decides how
   * large a batch fits a GPU; see {@code BatchBudget}).
   */
  default boolean fusedAttention() {
    return false;
  }

  @Override
  void close();
}
