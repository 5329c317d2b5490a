package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face's BERT forward pass written with DJL NDArray operations (the PyTorch engine runs
 * them), from a checkpoint's weights: embeddings (word + position + token type 0) and LayerNorm,
 * then per layer multi-head self-attention with an additive padding mask, dense + residual +
 * LayerNorm, feed-forward (ReLU or GELU per the config) + residual + LayerNorm. Post-LayerNorm, as
 * every Geneformer checkpoint. Dropout is off (inference).
 *
 * <p>{@link #hiddenState} stops after the asked layer: the default embedding layer (-1, the second
 * to last) never runs the last layer.
 */
public final class NativeBertEncoder implements Encoder {
  private final BertConfig config;
  private final NDManager manager;
  private final NDArray word;
  private final NDArray position;
  private final NDArray tokenType0;
  private final NDArray embeddingNormWeight;
  private final NDArray embeddingNormBias;
  private final List<LayerWeights> layers;
  private final Shape normShape;
  private final float maskValue = -Float.MAX_VALUE; // torch.finfo(float32).min, as Hugging Face

  /** One encoder layer's weights, Hugging Face's layout ({@code (out, in)} matrices). */
  record LayerWeights(
      NDArray queryWeight,
      NDArray queryBias,
      NDArray keyWeight,
      NDArray keyBias,
      NDArray valueWeight,
      NDArray valueBias,
      NDArray attentionOutputWeight,
      NDArray attentionOutputBias,
      NDArray attentionNormWeight,
      NDArray attentionNormBias,
      NDArray intermediateWeight,
      NDArray intermediateBias,
      NDArray outputWeight,
      NDArray outputBias,
      NDArray outputNormWeight,
      NDArray outputNormBias) {
    /** From BertWeights.layer's list, in its order. */
    static LayerWeights of(List<NDArray> w) {
      return new LayerWeights(
          w.get(0), w.get(1), w.get(2), w.get(3), w.get(4), w.get(5), w.get(6), w.get(7), w.get(8),
          w.get(9), w.get(10), w.get(11), w.get(12), w.get(13), w.get(14), w.get(15));
    }
  }

  NativeBertEncoder(BertConfig config, NDManager manager, BertWeights w) {
    this.config = config;
    this.manager = manager;
    List<NDArray> embeddings = w.embeddings(config);
    this.word = embeddings.get(0);
    this.position = embeddings.get(1);
    this.tokenType0 = embeddings.get(2).get(new NDIndex("0:1"));
    this.embeddingNormWeight = embeddings.get(3);
    this.embeddingNormBias = embeddings.get(4);
    this.layers = new ArrayList<>();
    for (int l = 0; l < config.numLayers(); l++) {
      layers.add(LayerWeights.of(w.layer(config, l)));
    }
    int h = config.hiddenSize();
    this.normShape = new Shape(h);
  }

  @Override
  public BertConfig config() {
    return config;
  }

  @Override
  public String kind() {
    return "native";
  }

  @Override
  public NDArray hiddenState(NDArray inputIds, NDArray attentionMask, int layer) {
    if (layer < 0 || layer > config.numLayers()) {
      throw new IllegalArgumentException("layer " + layer + " of " + config.numLayers());
    }
    NDArray mask = additiveMask(attentionMask);
    NDArray x = embed(inputIds);
    for (int l = 0; l < layer; l++) {
      NDArray next = scoped(x, mask, layers.get(l));
      x.close(); // only the latest hidden state is kept
      x = next;
    }
    return x;
  }

  @Override
  public NDList hiddenStates(NDArray inputIds, NDArray attentionMask) {
    NDArray mask = additiveMask(attentionMask);
    NDList out = new NDList();
    NDArray x = embed(inputIds);
    out.add(x);
    for (LayerWeights w : layers) {
      x = scoped(x, mask, w);
      out.add(x);
    }
    return out;
  }

  /**
   * One layer in a scope of its own: its intermediates (attention scores are batch x heads x
   * length^2) are freed when it ends instead of when the caller's scope ends, so peak memory is one
   * layer's worth, not all layers'. The output moves to the caller's scope.
   */
  private NDArray scoped(NDArray x, NDArray mask, LayerWeights w) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = layer(x, mask, w);
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /**
   * (batch, length) of 1/0 -> (batch, 1, 1, length) of 0 / float32 min, in the weights' type (in
   * fp16 the minimum becomes -inf, which softmax turns into 0 all the same).
   */
  private NDArray additiveMask(NDArray attentionMask) {
    Shape s = attentionMask.getShape();
    return attentionMask
        .toType(DataType.FLOAT32, false)
        .neg()
        .add(1f)
        .mul(maskValue)
        .reshape(s.get(0), 1, 1, s.get(1))
        .toType(word.getDataType(), false);
  }

  private NDArray embed(NDArray ids) {
    long length = ids.getShape().get(1);
    if (length > config.maxPositions()) {
      throw new IllegalArgumentException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
    NDArray x = Embedding.embedding(ids, word, SparseFormat.DENSE).singletonOrThrow();
    NDArray positions = position.get(new NDIndex(":{}", length));
    return norm(x.add(positions).add(tokenType0), embeddingNormWeight, embeddingNormBias);
  }

  private NDArray layer(NDArray x, NDArray mask, LayerWeights w) {
    Shape s = x.getShape();
    long batch = s.get(0);
    long length = s.get(1);
    int heads = config.numHeads();
    int headSize = config.headSize();
    NDArray q =
        heads(
            Linear.linear(x, w.queryWeight(), w.queryBias()).singletonOrThrow(),
            batch,
            length,
            heads,
            headSize);
    NDArray k =
        heads(
            Linear.linear(x, w.keyWeight(), w.keyBias()).singletonOrThrow(),
            batch,
            length,
            heads,
            headSize);
    NDArray v =
        heads(
            Linear.linear(x, w.valueWeight(), w.valueBias()).singletonOrThrow(),
            batch,
            length,
            heads,
            headSize);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).divi((float) Math.sqrt(headSize)).addi(mask);
    NDArray context =
        scores
            .softmax(-1)
            .matMul(v)
            .transpose(0, 2, 1, 3)
            .reshape(batch, length, config.hiddenSize());
    NDArray attended =
        norm(
            Linear.linear(context, w.attentionOutputWeight(), w.attentionOutputBias())
                .singletonOrThrow()
                .add(x),
            w.attentionNormWeight(),
            w.attentionNormBias());
    NDArray hidden =
        activate(
            Linear.linear(attended, w.intermediateWeight(), w.intermediateBias())
                .singletonOrThrow());
    return norm(
        Linear.linear(hidden, w.outputWeight(), w.outputBias()).singletonOrThrow().add(attended),
        w.outputNormWeight(),
        w.outputNormBias());
  }

  private static NDArray heads(NDArray x, long batch, long length, int heads, int headSize) {
    return x.reshape(batch, length, heads, headSize).transpose(0, 2, 1, 3);
  }

  private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
    return LayerNorm.layerNorm(x, normShape, weight, bias, (float) config.layerNormEps())
        .singletonOrThrow();
  }

  private NDArray activate(NDArray x) {
    return Activations.apply(config.hiddenAct(), x);
  }

  @Override
  public void close() {
    manager.close();
  }
}
