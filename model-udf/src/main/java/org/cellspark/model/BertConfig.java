package org.cellspark.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cellspark.error.UserException;

/**
 * The parts of a Hugging Face BERT {@code config.json} the encoder needs. Geneformer checkpoints
 * are stock BERT: post-LayerNorm, ReLU, eps 1e-12, learned absolute positions, token type 0.
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    String hiddenAct,
    double layerNormEps,
    int maxPositions,
    int typeVocabSize,
    int padTokenId)
    implements Serializable {

  /** Activations of the feed-forward layer: Geneformer uses relu; BERT's default is gelu. */
  public static final List<String> ACTIVATIONS =
      List.of("relu", "gelu", "gelu_new", "gelu_pytorch_tanh");

  public BertConfig {
    List<String> problems = new ArrayList<>();
    if (vocabSize <= 0
        || hiddenSize <= 0
        || numLayers <= 0
        || numHeads <= 0
        || intermediateSize <= 0
        || maxPositions <= 0) {
      problems.add("sizes must be positive");
    } else if (hiddenSize % numHeads != 0) {
      problems.add(
          String.format(
              Locale.ROOT,
              "hidden_size %d is not a multiple of num_attention_heads %d",
              hiddenSize,
              numHeads));
    }
    if (!ACTIVATIONS.contains(hiddenAct)) {
      problems.add("hidden_act '" + hiddenAct + "' is not one of " + ACTIVATIONS);
    }
    if (!(layerNormEps > 0)) {
      problems.add("layer_norm_eps must be positive");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  public int headSize() {
    return hiddenSize / numHeads;
  }

  /** Reads {@code config.json}; messages name the file. */
  public static BertConfig read(Path file) {
    JsonObject o = json(file);
    String type = string(o, "model_type", "bert");
    if (!"bert".equals(type)) {
      throw UserException.of(
          "%s describes a '%s' model; Geneformer checkpoints are BERT (model_type \"bert\")",
          file, type);
    }
    String position = string(o, "position_embedding_type", "absolute");
    if (!"absolute".equals(position)) {
      throw UserException.of(
          "%s uses position_embedding_type '%s'; only 'absolute' (Geneformer's) is supported",
          file, position);
    }
    try {
      return new BertConfig(
          integer(o, "vocab_size", file),
          integer(o, "hidden_size", file),
          integer(o, "num_hidden_layers", file),
          integer(o, "num_attention_heads", file),
          integer(o, "intermediate_size", file),
          string(o, "hidden_act", "gelu"),
          o.has("layer_norm_eps") ? o.get("layer_norm_eps").getAsDouble() : 1e-12,
          integer(o, "max_position_embeddings", file),
          o.has("type_vocab_size") ? o.get("type_vocab_size").getAsInt() : 2,
          o.has("pad_token_id") && !o.get("pad_token_id").isJsonNull()
              ? o.get("pad_token_id").getAsInt()
              : 0);
    } catch (IllegalArgumentException e) {
      throw UserException.because(e, "%s: %s", file, e.getMessage());
    }
  }

  /**
   * {@code config.json} as a JSON object, for the keys this record does not keep (training's
   * dropout rates; a fine-tuned folder's config is the base model's with keys added); refusals name
   * the file.
   */
  public static JsonObject json(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement e = JsonParser.parseReader(r);
      if (!e.isJsonObject()) {
        throw UserException.of(
            "%s is not a JSON object; expected a Hugging Face BERT config.json", file);
      }
      return e.getAsJsonObject();
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read model config %s: %s", file, e.getMessage());
    } catch (JsonParseException e) {
      throw UserException.because(
          e,
          "%s is not valid JSON (%s); expected a Hugging Face BERT config.json",
          file,
          e.getMessage());
    }
  }

  private static int integer(JsonObject o, String key, Path file) {
    if (!o.has(key) || !o.get(key).isJsonPrimitive()) {
      throw UserException.of("%s has no '%s'; it is not a complete BERT config.json", file, key);
    }
    try {
      return o.get(key).getAsInt();
    } catch (NumberFormatException e) {
      throw UserException.because(e, "%s: '%s' is not an integer", file, key);
    }
  }

  private static String string(JsonObject o, String key, String fallback) {
    return o.has(key) && o.get(key).isJsonPrimitive() ? o.get(key).getAsString() : fallback;
  }
}
