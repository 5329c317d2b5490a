package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.cellspark.error.UserException;

/**
 * LoRA adapters (low-rank adaptation) on a BERT encoder's query and value projections, as peft's
 * {@code LoraConfig} puts them on a BERT model by default and as upstream Geneformer's Classifier
 * fine-tunes with {@code quantize} (there over 4-bit weights; here over the checkpoint's own): each
 * projection {@code W x + b} becomes {@code W x + b + scale * B (A dropout(x))}, with {@code A}
 * (rank x hidden) and {@code B} (hidden x rank) the only encoder weights that train and {@code
 * scale = alpha / rank}. {@code B} starts at zero, so training starts from the checkpoint's model
 * exactly.
 *
 * <p>The backward pass then computes no gradient for the frozen projections' weights (a third of
 * the projections' matrix products in a step), and the optimizer keeps moments for the adapters and
 * the head only. Saved models have the adapters folded in ({@code W + scale * B A}, peft's {@code
 * merge_and_unload}), so every command and transformers read them as any checkpoint.
 */
public final class LoraAdapters {
  /** The projections adapted, as peft names its BERT targets; each layer's adapters in order. */
  public static final List<String> TARGETS = List.of("query", "value");

  private LoraAdapters() {}

  /**
   * @param rank the adapters' inner size (peft's {@code r})
   * @param alpha the adapters' output is scaled by alpha / rank ({@code lora_alpha})
   * @param dropout dropout on the adapters' input in training ({@code lora_dropout})
   */
  public record Settings(int rank, double alpha, double dropout) implements Serializable {
    /** Upstream Classifier's LoraConfig: r 64, lora_alpha 128, lora_dropout 0.1. */
    public static final Settings UPSTREAM = new Settings(64, 128, 0.1);

    public double scale() {
      return alpha / rank;
    }

    /** Refuses a rank this model cannot take: above its hidden size, an adapter is no smaller. */
    public void checkFits(BertConfig config) {
      if (rank < 1 || rank > config.hiddenSize()) {
        throw UserException.of(
            "--lora-rank %d: the rank must be 1 to the model's hidden size, %d (upstream's 64 fits"
                + " every Geneformer model; a smaller rank trains fewer weights)",
            rank, config.hiddenSize());
      }
    }

    /** For log lines and summaries: "r 64, alpha 128, dropout 0.1 on query and value". */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "r %d, alpha %s, dropout %s on %s",
          rank,
          trim(alpha),
          trim(dropout),
          String.join(" and ", TARGETS));
    }

    private static String trim(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
  }

  /** The name of a layer's adapter weight, peft's without its {@code base_model.model.bert.}. */
  public static String name(int layer, String target, char which) {
    return "encoder.layer." + layer + ".attention.self." + target + ".lora_" + which + ".weight";
  }

  /** Whether a weight's name is an adapter's. */
  public static boolean isAdapter(String name) {
    return name.contains(".lora_");
  }

  /**
   * New adapters for every layer, recording gradients, in {@code manager}: per layer query's A and
   * B, then value's. A is drawn as peft draws it (kaiming-uniform with a = sqrt(5): uniform within
   * 1 / sqrt(hidden)) from {@code java.util.Random(seed)}; B is zero.
   */
  static List<TrainableBert.NamedWeight> create(
      BertConfig config, Settings s, long seed, NDManager manager) {
    int h = config.hiddenSize();
    double bound = 1 / Math.sqrt(h);
    Random init = new Random(seed);
    List<TrainableBert.NamedWeight> out = new ArrayList<>();
    for (int l = 0; l < config.numLayers(); l++) {
      for (String target : TARGETS) {
        float[] down = new float[s.rank() * h];
        for (int i = 0; i < down.length; i++) {
          down[i] = (float) ((2 * init.nextDouble() - 1) * bound);
        }
        NDArray a = manager.create(down, new Shape(s.rank(), h));
        NDArray b = manager.zeros(new Shape(h, s.rank()));
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        out.add(new TrainableBert.NamedWeight(name(l, target, 'A'), a));
        out.add(new TrainableBert.NamedWeight(name(l, target, 'B'), b));
      }
    }
    return List.copyOf(out);
  }

  /**
   * {@code weights} with the adapters folded into the projections they adapt ({@code W + scale * B
   * A}, new arrays in the weights' manager) and left out: the model as a plain checkpoint holds it.
   */
  static List<TrainableBert.NamedWeight> merged(
      List<TrainableBert.NamedWeight> weights,
      List<TrainableBert.NamedWeight> adapters,
      Settings s) {
    Map<String, NDArray> byName = new HashMap<>();
    weights.forEach(w -> byName.put(w.name(), w.value()));
    Map<String, NDArray> folded = new HashMap<>();
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int i = 0; i < adapters.size(); i += 2) {
        String down = adapters.get(i).name();
        String target = down.substring(0, down.indexOf(".lora_")) + ".weight";
        NDArray w = byName.get(target);
        NDArray delta = adapters.get(i + 1).value().matMul(adapters.get(i).value()).mul(s.scale());
        folded.put(target, w.add(delta));
        delta.close();
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    List<TrainableBert.NamedWeight> out = new ArrayList<>();
    for (TrainableBert.NamedWeight w : weights) {
      if (!isAdapter(w.name())) {
        out.add(new TrainableBert.NamedWeight(w.name(), folded.getOrDefault(w.name(), w.value())));
      }
    }
    return out;
  }
}
