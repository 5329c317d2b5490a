package org.cellspark.model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.cellspark.error.UserException;

/**
 * The starting weights of the masked-language-model head that pretraining trains (transformers'
 * {@code BertOnlyMLMHead}): the transform's dense layer (hidden x hidden, and its bias) and
 * LayerNorm, and the output bias over the vocabulary; the output weights are the word embeddings
 * (tied, as in every Geneformer checkpoint). Read from the checkpoint ({@code cls.predictions.*},
 * what a {@code BertForMaskedLM} saves: Geneformer's released models are) or, when it has none (a
 * bare encoder, a fine-tuned classifier, a new model), new: dense weights normal with standard
 * deviation {@code initializer_range}, biases 0, LayerNorm 1 and 0, as transformers initialises
 * them.
 *
 * @param denseWeight (hidden, hidden), row-major
 * @param bias (vocabulary)
 * @param fromCheckpoint whether the checkpoint held the head
 */
public record MaskedLmHeadWeights(
    float[] denseWeight,
    float[] denseBias,
    float[] normWeight,
    float[] normBias,
    float[] bias,
    boolean fromCheckpoint) {
  private static final String P = "cls.predictions.";
  private static final String DENSE = P + "transform.dense.";
  private static final String NORM = P + "transform.LayerNorm.";

  /** The head of the checkpoint at {@code location}, or a new one drawn from {@code seed}. */
  public static MaskedLmHeadWeights of(Path location, long seed) {
    ModelLoader.ModelFiles files = ModelLoader.ModelFiles.at(location);
    BertConfig c = ModelLoader.readConfig(location);
    WeightsFile file = WeightsFile.open(files.weights());
    int h = c.hiddenSize();
    List<String> parts =
        List.of(
            DENSE + "weight",
            DENSE + "bias",
            norm(file, true),
            norm(file, false),
            outputBias(file));
    List<String> missing = parts.stream().filter(n -> !file.tensors().containsKey(n)).toList();
    if (missing.size() == parts.size()) {
      return initial(c, BertInitializer.initializerRange(files.config()), seed);
    }
    if (!missing.isEmpty()) {
      throw UserException.of(
          "%s holds part of a masked-language-model head: %s missing. Use the checkpoint as"
              + " transformers saved it (BertForMaskedLM), or one without any cls.predictions"
              + " weights to start a new head",
          files.weights(), String.join(", ", missing));
    }
    requireTied(file);
    return new MaskedLmHeadWeights(
        read(file, parts.get(0), h, h),
        read(file, parts.get(1), h),
        read(file, parts.get(2), h),
        read(file, parts.get(3), h),
        read(file, parts.get(4), c.vocabSize()),
        true);
  }

  /** A new head for a model of config {@code c}. */
  public static MaskedLmHeadWeights initial(BertConfig c, double initializerRange, long seed) {
    int h = c.hiddenSize();
    float[] ones = new float[h];
    Arrays.fill(ones, 1f);
    return new MaskedLmHeadWeights(
        BertInitializer.normal(new long[] {h, h}, initializerRange, new Random(seed)),
        new float[h],
        ones,
        new float[h],
        new float[c.vocabSize()],
        false);
  }

  private static String norm(WeightsFile file, boolean scale) {
    String modern = BertWeights.modernNorm(NORM.substring(0, NORM.length() - 1), scale);
    String legacy = NORM + (scale ? "gamma" : "beta");
    return !file.tensors().containsKey(modern) && file.tensors().containsKey(legacy)
        ? legacy
        : modern;
  }

  /**
   * {@code cls.predictions.bias}, or its tied twin {@code decoder.bias} where only that is kept.
   */
  private static String outputBias(WeightsFile file) {
    return !file.tensors().containsKey(P + "bias") && file.tensors().containsKey(P + "decoder.bias")
        ? P + "decoder.bias"
        : P + "bias";
  }

  /**
   * A checkpoint that keeps its own output weights must keep the word embeddings there: the head
   * trains them as one (tied), and untied ones would be silently replaced.
   */
  private static void requireTied(WeightsFile file) {
    String decoder = P + "decoder.weight";
    if (!file.tensors().containsKey(decoder)) {
      return;
    }
    String words =
        file.tensors().containsKey("bert.embeddings.word_embeddings.weight")
            ? "bert.embeddings.word_embeddings.weight"
            : "embeddings.word_embeddings.weight";
    if (!file.floats(decoder).equals(file.floats(words))) {
      throw UserException.of(
          "%s: %s differs from %s; Cellspark pretrains with the output weights tied to the word"
              + " embeddings (as Geneformer's models are), so it cannot continue a model whose"
              + " head has its own",
          file.path(), decoder, words);
    }
  }

  private static float[] read(WeightsFile file, String name, long... shape) {
    WeightsFile.Tensor t = file.tensors().get(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw UserException.of(
          "%s: the head's weight '%s' is %s, but the model's config.json implies %s",
          file.path(),
          name,
          Arrays.toString(t.shape()),
          Arrays.stream(shape)
              .mapToObj(Long::toString)
              .collect(Collectors.joining(", ", "[", "]")));
    }
    return file.floatArray(name);
  }
}
