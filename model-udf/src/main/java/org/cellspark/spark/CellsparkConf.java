package org.cellspark.spark;

import java.util.Locale;
import org.apache.spark.sql.RuntimeConfig;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;

/**
 * Session settings read by Cellspark's SQL functions ({@code SET key=value} in SQL, or
 * {@code --conf} on spark-submit). Jobs take command-line options instead.
 */
public final class CellsparkConf {
  private CellsparkConf() {}

  /** The model: a Hugging Face folder (config.json + model.safetensors) or a TorchScript file. */
  public static final String MODEL = "spark.cellspark.model";

  /** The vocabulary the tokens were made with (a folder, or builtin:geneformer-v1). */
  public static final String VOCABULARY = "spark.cellspark.vocabulary";

  /** Upstream's emb_layer: -1 (second to last layer) or 0 (last). */
  public static final String LAYER = "spark.cellspark.embed.layer";
  public static final int LAYER_DEFAULT = -1;

  /** Padded tokens per batch for the batched table function. */
  public static final String BATCH_TOKENS = "spark.cellspark.embed.batchTokens";
  public static final long BATCH_TOKENS_DEFAULT = EmbeddingSettings.DEFAULT_BATCH_TOKENS;

  static String required(RuntimeConfig conf, String key, String what) {
    String value = conf.get(key, null);
    if (value == null || value.isBlank()) {
      throw UserException.of("Set %s to %s first (SQL: SET %s=...)", key, what, key);
    }
    return value;
  }

  static long number(RuntimeConfig conf, String key, long fallback) {
    String value = conf.get(key, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw UserException.because(e, "%s must be a number, got '%s'", key, value);
    }
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
