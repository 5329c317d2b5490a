package org.cellspark.train;

import com.google.gson.JsonObject;
import java.io.Serializable;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.cellspark.model.BertConfig;

/**
 * The dropout a fine-tune trains with, as Hugging Face's {@code BertForSequenceClassification}
 * takes it from the checkpoint's {@code config.json}: {@code hidden_dropout_prob} after the
 * embeddings and on each layer's dense outputs, {@code attention_probs_dropout_prob} on the
 * attention probabilities, and {@code classifier_dropout} (the hidden rate when unset) on the
 * pooled vector before the head. Geneformer V1's checkpoints say 0.02, V2's 0.1. Evaluation and
 * inference use none. {@code adapters}: on the input of LoRA adapters, when the encoder has them
 * (peft's {@code lora_dropout}; not the checkpoint's to say).
 */
public record DropoutRates(double hidden, double attention, double classifier, double adapters)
    implements Serializable {
  public static final DropoutRates NONE = new DropoutRates(0, 0, 0);

  /** BERT's defaults, for a config.json that does not give a rate. */
  private static final double BERT_DEFAULT = 0.1;

  public DropoutRates {
    for (double p : new double[] {hidden, attention, classifier, adapters}) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("a dropout rate must be in [0, 1), not " + p);
      }
    }
  }

  /** Rates for a model without adapters. */
  public DropoutRates(double hidden, double attention, double classifier) {
    this(hidden, attention, classifier, 0);
  }

  /** These rates with {@code p} on the adapters' input. */
  public DropoutRates withAdapters(double p) {
    return new DropoutRates(hidden, attention, classifier, p);
  }

  /** The same rate everywhere in the model (0 turns dropout off); none on adapters. */
  public static DropoutRates of(double p) {
    return new DropoutRates(p, p, p);
  }

  public boolean none() {
    return hidden == 0 && attention == 0 && classifier == 0 && adapters == 0;
  }

  /** The rates {@code config.json} gives; messages name the file and the key. */
  public static DropoutRates read(Path config) {
    JsonObject o = BertConfig.json(config);
    double hidden = rate(o, "hidden_dropout_prob", BERT_DEFAULT, config);
    return new DropoutRates(
        hidden,
        rate(o, "attention_probs_dropout_prob", BERT_DEFAULT, config),
        rate(o, "classifier_dropout", hidden, config));
  }

  private static double rate(JsonObject o, String key, double fallback, Path config) {
    if (!o.has(key) || o.get(key).isJsonNull()) {
      return fallback;
    }
    double p;
    try {
      p = o.get(key).getAsDouble();
    } catch (RuntimeException e) {
      throw UserException.because(e, "%s: '%s' is not a number", config, key);
    }
    if (!(p >= 0 && p < 1)) {
      throw UserException.of(
          "%s: '%s' is %s; a dropout rate must be at least 0 and below 1", config, key, p);
    }
    return p;
  }
}
