package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.model.Activations;
import org.cellspark.model.BertConfig;
import org.cellspark.model.MaskedLmHeadWeights;
import org.cellspark.model.TrainableBert;

/**
 * The masked-language-model head as transformers' {@code BertLMPredictionHead} computes it: a dense
 * layer, the config's activation ({@code hidden_act}: ReLU for Geneformer) and a LayerNorm, then
 * scores over the vocabulary with the word embeddings as weights (tied: one array, trained by both
 * uses) plus a bias. Its own weights record gradients, named {@code head.transform.dense.weight},
 * {@code head.transform.dense.bias}, {@code head.transform.LayerNorm.weight}, {@code
 * head.transform.LayerNorm.bias} and {@code head.bias}.
 */
final class MaskedLmHead {
  private final List<TrainableBert.NamedWeight> own;
  private final NDArray denseWeight;
  private final NDArray denseBias;
  private final NDArray normWeight;
  private final NDArray normBias;
  private final NDArray bias;
  private final NDArray wordEmbeddings;
  private final String activation;
  private final float eps;
  private final Shape normShape;

  MaskedLmHead(TrainableBert encoder, MaskedLmHeadWeights start) {
    BertConfig c = encoder.config();
    NDManager m = encoder.manager();
    int h = c.hiddenSize();
    this.denseWeight = m.create(start.denseWeight(), new Shape(h, h));
    this.denseBias = m.create(start.denseBias());
    this.normWeight = m.create(start.normWeight());
    this.normBias = m.create(start.normBias());
    this.bias = m.create(start.bias());
    this.own =
        List.of(
            new TrainableBert.NamedWeight("head.transform.dense.weight", denseWeight),
            new TrainableBert.NamedWeight("head.transform.dense.bias", denseBias),
            new TrainableBert.NamedWeight("head.transform.LayerNorm.weight", normWeight),
            new TrainableBert.NamedWeight("head.transform.LayerNorm.bias", normBias),
            new TrainableBert.NamedWeight("head.bias", bias));
    own.forEach(w -> w.value().setRequiresGradient(true));
    this.wordEmbeddings =
        encoder.weights().stream()
            .filter(w -> w.name().equals("embeddings.word_embeddings.weight"))
            .findFirst()
            .orElseThrow()
            .value();
    this.activation = c.hiddenAct();
    this.eps = (float) c.layerNormEps();
    this.normShape = new Shape(h);
  }

  /** Scores (rows, vocabulary) for hidden states (rows, hidden). */
  NDArray apply(NDArray x) {
    NDArray t = Activations.apply(activation, x.matMul(denseWeight.transpose()).add(denseBias));
    t = LayerNorm.layerNorm(t, normShape, normWeight, normBias, eps).singletonOrThrow();
    return t.matMul(wordEmbeddings.transpose()).add(bias);
  }

  /** The encoder's weights, then the head's own (the word embeddings are the encoder's). */
  List<TrainableBert.NamedWeight> after(List<TrainableBert.NamedWeight> encoder) {
    List<TrainableBert.NamedWeight> out = new ArrayList<>(encoder);
    out.addAll(own);
    return out;
  }
}
