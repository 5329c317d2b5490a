package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.model.LoraAdapters;
import org.cellspark.model.TrainableBert;

/**
 * The weights a training changes, and what it keeps of them: which of a classifier's weights train
 * (all; all but the embeddings and the first N layers; with LoRA adapters, the adapters and the
 * head), the others stopped from recording gradients; the best epoch's values of those that train;
 * and their part of a saved state.
 *
 * <p>Only the weights that train change: the others are the checkpoint's, loaded again by a run
 * that resumes, so neither the best epoch's copies nor the states hold them (a LoRA state of
 * V2-316M holds its adapters, not its 1.3 GB of weights).
 */
final class TrainedWeights implements AutoCloseable {
  private final List<TrainableBert.NamedWeight> trained;
  private final List<NDArray> best;

  private TrainedWeights(List<TrainableBert.NamedWeight> trained) {
    this.trained = trained;
    this.best = copies(trained);
  }

  /**
   * The weights of {@code model} that train with the first {@code freezeLayers} layers (and the
   * embeddings) frozen; the others stop recording gradients, as upstream's freeze_layers sets
   * requires_grad False: the backward pass then computes no gradient for them (for the embeddings,
   * a vocabulary-sized one), and none accumulates.
   */
  static TrainedWeights of(Classifier<?> model, int freezeLayers) {
    List<TrainableBert.NamedWeight> all = model.weights();
    List<TrainableBert.NamedWeight> trained =
        select(all, freezeLayers, model.encoder().adapterSettings() != null);
    for (TrainableBert.NamedWeight w : all) {
      if (!trained.contains(w)) {
        w.value().setRequiresGradient(false);
      }
    }
    return new TrainedWeights(trained);
  }

  /**
   * The weights that train: all but the embeddings and the first {@code freeze} layers; with LoRA
   * adapters ({@code adapted}) the adapters of the other layers and the head, the checkpoint's
   * encoder weights none.
   */
  static List<TrainableBert.NamedWeight> select(
      List<TrainableBert.NamedWeight> all, int freeze, boolean adapted) {
    if (freeze <= 0 && !adapted) {
      return all;
    }
    List<TrainableBert.NamedWeight> out = new ArrayList<>();
    for (TrainableBert.NamedWeight w : all) {
      boolean frozen =
          w.name().startsWith("embeddings.")
              || adapted && w.name().startsWith("encoder.") && !LoraAdapters.isAdapter(w.name());
      for (int l = 0; l < freeze && !frozen; l++) {
        frozen = w.name().startsWith("encoder.layer." + l + ".");
      }
      if (!frozen) {
        out.add(w);
      }
    }
    return out;
  }

  /** The weights that train, in the model's order. */
  List<TrainableBert.NamedWeight> list() {
    return trained;
  }

  /** Their values kept as the best epoch's, in place on the device. */
  void keepAsBest() {
    for (int i = 0; i < trained.size(); i++) {
      TrainingState.assign(best.get(i), trained.get(i).value());
    }
  }

  /** The best epoch's values put back into the weights, in place on the device. */
  void restoreBest() {
    for (int i = 0; i < trained.size(); i++) {
      TrainingState.assign(trained.get(i).value(), best.get(i));
    }
  }

  /**
   * Every tensor a state holds, by its name in the file: the trained weights, their best epoch's
   * values and AdamW's moments. (States written before held every weight under "model." and
   * "best."; they resume, since only the names asked for are read.)
   */
  Map<String, NDArray> stateTensors(AdamW adam) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (TrainableBert.NamedWeight w : trained) {
      out.put("model." + w.name(), w.value());
    }
    for (int i = 0; i < trained.size(); i++) {
      out.put("best." + trained.get(i).name(), best.get(i));
    }
    adam.state(trained).forEach((name, a) -> out.put("adam." + name, a));
    return out;
  }

  /** What a training's first log line says of LoRA adapters: nothing without them. */
  String describeAdapters(TrainableBert encoder) {
    LoraAdapters.Settings lora = encoder.adapterSettings();
    if (lora == null) {
      return "";
    }
    long all = 0;
    for (TrainableBert.NamedWeight w : encoder.checkpointWeights()) {
      all += w.value().size();
    }
    long training = 0;
    for (TrainableBert.NamedWeight w : trained) {
      training += w.value().size();
    }
    return String.format(
        Locale.ROOT,
        ", LoRA adapters (%s): %,d weights train, the checkpoint's %,d do not",
        lora.describe(),
        training,
        all);
  }

  @Override
  public void close() {
    best.forEach(NDArray::close);
  }

  /** Copies of the weights (not recording gradients), in the weights' manager. */
  private static List<NDArray> copies(List<TrainableBert.NamedWeight> weights) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      List<NDArray> out = new ArrayList<>();
      for (TrainableBert.NamedWeight w : weights) {
        out.add(JniUtils.clone((PtNDArray) w.value()));
      }
      return out;
    } finally {
      JniUtils.setGradMode(recording);
    }
  }
}
