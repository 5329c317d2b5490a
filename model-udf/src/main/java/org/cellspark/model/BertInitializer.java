package org.cellspark.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.cellspark.error.UserException;

/**
 * A new, untrained BERT encoder from a config.json alone, for pretraining from scratch, initialised
 * as transformers' {@code BertPreTrainedModel._init_weights} does: every linear and embedding
 * weight drawn from a normal of standard deviation {@code initializer_range} (0.02 unless the
 * config says), the padding token's embedding row zero, biases zero, LayerNorm scales 1 and shifts
 * 0. Draws come from {@code java.util.Random(seed)} in the weights' order, so a seed gives the same
 * model on any machine. The masked-language-model head is not written: a checkpoint without one
 * gets a new head when pretraining starts.
 */
public final class BertInitializer {
  private BertInitializer() {}

  /** BERT's default, for a config.json that does not give {@code initializer_range}. */
  public static final double DEFAULT_RANGE = 0.02;

  /**
   * Writes {@code folder}/config.json (the given config, as {@code BertForMaskedLM}) and
   * model.safetensors ({@code bert.*} weights, fp32).
   */
  public static void write(Path configFile, Path folder, long seed) {
    BertConfig config = BertConfig.read(configFile);
    double std = initializerRange(configFile);
    Random random = new Random(seed);
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      BertWeights.Source<String> add =
          (name, shape) -> {
            float[] v = values(name, shape, std, random, config.padTokenId());
            tensors.put("bert." + name, m.create(v, new Shape(shape)));
            return name;
          };
      BertWeights.embeddings(config, add, BertWeights::modernNorm);
      for (int l = 0; l < config.numLayers(); l++) {
        BertWeights.layer(config, l, add, BertWeights::modernNorm);
      }
      Files.createDirectories(folder);
      JsonObject json = BertConfig.json(configFile);
      JsonArray architectures = new JsonArray();
      architectures.add("BertForMaskedLM");
      json.add("architectures", architectures);
      Files.writeString(
          folder.resolve("config.json"),
          new GsonBuilder().setPrettyPrinting().create().toJson(json),
          StandardCharsets.UTF_8);
      SafetensorsWriter.write(folder.resolve("model.safetensors"), Map.of(), tensors);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a new model into " + folder, e);
    }
  }

  /** The config's {@code initializer_range}, else 0.02; refusals name the file. */
  public static double initializerRange(Path configFile) {
    JsonObject json = BertConfig.json(configFile);
    if (!json.has("initializer_range") || json.get("initializer_range").isJsonNull()) {
      return DEFAULT_RANGE;
    }
    double range;
    try {
      range = json.get("initializer_range").getAsDouble();
    } catch (RuntimeException e) {
      throw UserException.because(e, "%s: 'initializer_range' is not a number", configFile);
    }
    if (!(range > 0)) {
      throw UserException.of("%s: 'initializer_range' must be positive, not %s", configFile, range);
    }
    return range;
  }

  /** Normal(0, std) values, as many as {@code shape} holds. */
  public static float[] normal(long[] shape, double std, Random random) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (std * random.nextGaussian());
    }
    return v;
  }

  private static float[] values(String name, long[] shape, double std, Random r, int padId) {
    if (name.endsWith("LayerNorm.weight")) {
      float[] ones = new float[Math.toIntExact(shape[0])];
      java.util.Arrays.fill(ones, 1f);
      return ones;
    }
    if (name.endsWith("bias")) {
      return new float[Math.toIntExact(shape[0])];
    }
    float[] v = normal(shape, std, r);
    if (name.equals("embeddings.word_embeddings.weight") && padId >= 0 && padId < shape[0]) {
      int h = Math.toIntExact(shape[1]);
      java.util.Arrays.fill(v, padId * h, (padId + 1) * h, 0f);
    }
    return v;
  }
}
