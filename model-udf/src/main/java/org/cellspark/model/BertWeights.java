package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.cellspark.error.UserException;

/**
 * Finds BERT encoder weights in a checkpoint's tensors by their Hugging Face names, whichever way
 * the checkpoint spells them: {@code BertModel} names, or {@code BertForMaskedLM} names with the
 * {@code bert.} prefix (the masked-LM head's {@code cls.*} weights are ignored), and LayerNorm
 * parameters as {@code weight}/{@code bias} or the older {@code gamma}/{@code beta}. Each weight is
 * checked against the shape the config implies, so a config.json that disagrees with its weights is
 * refused with both sides named.
 */
final class BertWeights {
  private final WeightsFile file;
  private final NDManager manager;
  private final String prefix;
  private final String configName;
  private final Precision precision;

  BertWeights(WeightsFile file, NDManager manager, String configName, Precision precision) {
    this.file = file;
    this.manager = manager;
    this.configName = configName;
    this.precision = precision;
    boolean prefixed = file.tensors().containsKey("bert.embeddings.word_embeddings.weight");
    boolean plain = file.tensors().containsKey("embeddings.word_embeddings.weight");
    if (!prefixed && !plain) {
      throw UserException.of(
          "%s holds no BERT encoder (no embeddings.word_embeddings.weight, with or without the"
              + " 'bert.' prefix; first tensors: %s). Geneformer checkpoints are Hugging Face"
              + " BertModel or BertForMaskedLM weights.",
          file.path(), file.tensors().keySet().stream().limit(5).collect(Collectors.joining(", ")));
    }
    this.prefix = prefixed ? "bert." : "";
  }

  /** The weight {@code name} as float32 on the model's device, checked to have {@code shape}. */
  NDArray get(String name, long... shape) {
    String key = checked(name, shape).name();
    NDArray fp32 = manager.create(file.floats(key), new Shape(shape));
    if (precision == Precision.FP32) {
      return fp32;
    }
    NDArray cast = fp32.toType(precision.dataType(), false);
    fp32.close();
    return cast;
  }

  /** The tensor {@code name} (prefix added), refused when absent or not of {@code shape}. */
  private WeightsFile.Tensor checked(String name, long... shape) {
    String key = prefix + name;
    WeightsFile.Tensor t = file.tensors().get(key);
    if (t == null) {
      throw UserException.of(
          "%s has no weight '%s' (needed for a BERT encoder with the shape in %s)",
          file.path(), key, configName);
    }
    if (!Arrays.equals(t.shape(), shape)) {
      throw UserException.of(
          "%s says the weight '%s' should be %s, but %s holds %s; the config and the weights are"
              + " not from the same model",
          configName,
          key,
          Arrays.toString(shape),
          file.path().getFileName(),
          Arrays.toString(t.shape()));
    }
    return t;
  }

  /** Reads a weight by its name without prefix and the shape the config implies. */
  @FunctionalInterface
  interface Source<T> {
    T tensor(String name, long... shape);
  }

  /** A LayerNorm's scale ({@code weight}/{@code gamma}) or shift ({@code bias}/{@code beta}). */
  NDArray norm(String module, boolean scale, long size) {
    return get(normName(module, scale), size);
  }

  private String normName(String module, boolean scale) {
    String modern = modernNorm(module, scale);
    String legacy = module + (scale ? ".gamma" : ".beta");
    return file.tensors().containsKey(prefix + modern)
            || !file.tensors().containsKey(prefix + legacy)
        ? modern
        : legacy;
  }

  /**
   * The embedding weights in Hugging Face's order: word, position, token type, LayerNorm scale and
   * shift; each checked against the config.
   */
  List<NDArray> embeddings(BertConfig config) {
    return embeddings(config, this::get);
  }

  <T> List<T> embeddings(BertConfig config, Source<T> s) {
    return embeddings(config, s, this::normName);
  }

  /** How a LayerNorm parameter is spelled: module, scale or shift, to the full name. */
  @FunctionalInterface
  interface NormNames {
    String name(String module, boolean scale);
  }

  /** Hugging Face's names today: {@code weight} and {@code bias}. */
  static String modernNorm(String module, boolean scale) {
    return module + (scale ? ".weight" : ".bias");
  }

  static <T> List<T> embeddings(BertConfig config, Source<T> s, NormNames norm) {
    int h = config.hiddenSize();
    return List.of(
        s.tensor("embeddings.word_embeddings.weight", config.vocabSize(), h),
        s.tensor("embeddings.position_embeddings.weight", config.maxPositions(), h),
        s.tensor("embeddings.token_type_embeddings.weight", config.typeVocabSize(), h),
        s.tensor(norm.name("embeddings.LayerNorm", true), h),
        s.tensor(norm.name("embeddings.LayerNorm", false), h));
  }

  /**
   * Encoder layer {@code l}'s 16 weights in Hugging Face's order, {@code (out, in)} matrices:
   * query, key, value, attention output (weight, bias each), attention LayerNorm (scale, shift),
   * intermediate, output (weight, bias each), output LayerNorm (scale, shift).
   */
  List<NDArray> layer(BertConfig config, int l) {
    return layer(config, l, this::get);
  }

  <T> List<T> layer(BertConfig config, int l, Source<T> s) {
    return layer(config, l, s, this::normName);
  }

  static <T> List<T> layer(BertConfig config, int l, Source<T> s, NormNames norm) {
    int h = config.hiddenSize();
    int i = config.intermediateSize();
    String p = "encoder.layer." + l + ".";
    return List.of(
        s.tensor(p + "attention.self.query.weight", h, h),
        s.tensor(p + "attention.self.query.bias", h),
        s.tensor(p + "attention.self.key.weight", h, h),
        s.tensor(p + "attention.self.key.bias", h),
        s.tensor(p + "attention.self.value.weight", h, h),
        s.tensor(p + "attention.self.value.bias", h),
        s.tensor(p + "attention.output.dense.weight", h, h),
        s.tensor(p + "attention.output.dense.bias", h),
        s.tensor(norm.name(p + "attention.output.LayerNorm", true), h),
        s.tensor(norm.name(p + "attention.output.LayerNorm", false), h),
        s.tensor(p + "intermediate.dense.weight", i, h),
        s.tensor(p + "intermediate.dense.bias", i),
        s.tensor(p + "output.dense.weight", h, i),
        s.tensor(p + "output.dense.bias", h),
        s.tensor(norm.name(p + "output.LayerNorm", true), h),
        s.tensor(norm.name(p + "output.LayerNorm", false), h));
  }

  /** Every encoder weight's name (without the checkpoint's prefix), in the program's order. */
  List<String> names(BertConfig config) {
    Source<String> name = (n, shape) -> n;
    List<String> out = new ArrayList<>(embeddings(config, name));
    for (int l = 0; l < config.numLayers(); l++) {
      out.addAll(layer(config, l, name));
    }
    return out;
  }

  /**
   * Every encoder weight the config implies checked without building arrays: present, of the
   * config's shape, and every value finite (each is read once).
   */
  WeightsReport verify(BertConfig config) {
    List<WeightsFile.Tensor> all = new ArrayList<>(embeddings(config, this::checked));
    for (int l = 0; l < config.numLayers(); l++) {
      all.addAll(layer(config, l, this::checked));
    }
    long parameters = 0;
    long nonFinite = 0;
    String firstNonFinite = null;
    Set<String> dtypes = new TreeSet<>();
    for (WeightsFile.Tensor t : all) {
      parameters += t.elements();
      dtypes.add(t.dtype());
      FloatBuffer values = file.floats(t.name());
      long bad = 0;
      while (values.hasRemaining()) {
        if (!Float.isFinite(values.get())) {
          bad++;
        }
      }
      if (bad > 0 && firstNonFinite == null) {
        firstNonFinite = t.name();
      }
      nonFinite += bad;
    }
    return new WeightsReport(
        file.path(),
        file.tensors().size(),
        all.size(),
        parameters,
        dtypes,
        unexpected(),
        nonFinite,
        firstNonFinite);
  }

  /**
   * Tensors that are neither encoder weights nor a known head, for a warning. Known heads: the
   * pretraining checkpoints' masked-LM head ({@code cls.}) and pooler, and the fine-tuned
   * classifiers' {@code classifier.} (upstream's and {@code cellspark finetune}'s, whose apply
   * reads it on its own): embeddings never use them, and every run of such a model would warn.
   */
  List<String> unexpected() {
    return file.tensors().keySet().stream()
        .filter(k -> !k.startsWith(prefix + "embeddings.") && !k.startsWith(prefix + "encoder."))
        .filter(
            k ->
                !k.startsWith("cls.")
                    && !k.startsWith("classifier.")
                    && !k.startsWith(prefix + "pooler.")
                    && !k.startsWith("pooler."))
        .toList();
  }
}
