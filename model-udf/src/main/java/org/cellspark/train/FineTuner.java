package org.cellspark.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.cellspark.infer.LengthBatcher;
import org.cellspark.model.TrainableBert;

/**
 * Fine-tunes a {@link CellClassifier}: epochs over the training cells in length-grouped batches
 * under a token budget (the batches' order shuffled each epoch with the seed), weighted
 * cross-entropy, AdamW on a warm-up-then-decay schedule, the first {@code freezeLayers} encoder
 * layers (and the embeddings with them) left as they are; after each epoch the validation cells'
 * macro-F1, and the best epoch's weights kept (early stopping after {@code patience} epochs without
 * a better one).
 */
public final class FineTuner {
  /**
   * @param classWeights a weight per class for the loss (all 1: plain cross-entropy)
   * @param patience epochs without a better validation macro-F1 before stopping; 0 = never stop
   *     early
   */
  public record Settings(
      int epochs,
      double learningRate,
      double weightDecay,
      double warmupFraction,
      LearningRateSchedule.Decay decay,
      long batchTokens,
      int freezeLayers,
      float[] classWeights,
      int patience,
      long seed) {}

  /** One epoch's numbers. */
  public record Epoch(int epoch, double trainLoss, double validationLoss, double validationMacroF1)
      implements java.io.Serializable {}

  private FineTuner() {}

  /**
   * Where training stands after an epoch: everything the next epoch needs, so that a run resumed
   * from it continues exactly as an uninterrupted one (the same batches in the same order, the same
   * optimizer state).
   *
   * @param weights every weight's values, in {@link CellClassifier#weights()}' order
   * @param moments the optimizer's state
   * @param random the batch-order generator, serialized
   * @param bestWeights the best epoch's weights so far, or null
   */
  public record State(
      List<Epoch> epochs,
      List<float[]> weights,
      AdamW.Moments moments,
      byte[] random,
      double best,
      List<float[]> bestWeights,
      int sinceBest)
      implements java.io.Serializable {
    public int epochsDone() {
      return epochs.size();
    }
  }

  /** Saves each epoch's state, and gives the latest one to start from (null: none). */
  public interface Checkpoints {
    State latest();

    void save(State state);
  }

  private static final Checkpoints NO_CHECKPOINTS =
      new Checkpoints() {
        @Override
        public State latest() {
          return null;
        }

        @Override
        public void save(State state) {}
      };

  /**
   * Trains in place; returns each epoch's numbers (the model ends with the best epoch's weights).
   */
  public static List<Epoch> train(
      CellClassifier model,
      LabelledCells train,
      LabelledCells validation,
      Settings s,
      int classes) {
    return train(model, train, validation, s, classes, NO_CHECKPOINTS);
  }

  /** As above, saving a state after each epoch and starting from the latest saved one. */
  public static List<Epoch> train(
      CellClassifier model,
      LabelledCells train,
      LabelledCells validation,
      Settings s,
      int classes,
      Checkpoints checkpoints) {
    List<TrainableBert.NamedWeight> trained = trainable(model.weights(), s.freezeLayers());
    List<LengthBatcher.Batch> batches = LengthBatcher.byLength(train.lengths(), s.batchTokens());
    int total = s.epochs() * batches.size();
    LearningRateSchedule schedule =
        new LearningRateSchedule(
            s.learningRate(), (int) Math.round(s.warmupFraction() * total), total, s.decay());
    AdamW adam = new AdamW(s.learningRate(), 0.9, 0.999, 1e-8, s.weightDecay());
    Random random = new Random(s.seed());
    List<Epoch> epochs = new ArrayList<>();
    double best = Double.NEGATIVE_INFINITY;
    List<float[]> bestWeights = null;
    int sinceBest = 0;
    State resumed = checkpoints.latest();
    if (resumed != null) {
      restore(model.weights(), resumed.weights());
      adam.restore(trained, resumed.moments());
      random = (Random) deserialize(resumed.random());
      epochs.addAll(resumed.epochs());
      best = resumed.best();
      bestWeights = resumed.bestWeights();
      sinceBest = resumed.sinceBest();
    }
    boolean stopped = s.patience() > 0 && sinceBest >= s.patience();
    for (int e = epochs.size() + 1; e <= s.epochs() && !stopped; e++) {
      double trainLoss = epoch(model, train, batches, trained, adam, schedule, random, s);
      Evaluation v = Evaluation.of(model, validation, s.batchTokens(), s.classWeights(), classes);
      epochs.add(new Epoch(e, trainLoss, v.loss(), v.macroF1()));
      if (v.macroF1() > best) {
        best = v.macroF1();
        bestWeights = snapshot(model.weights());
        sinceBest = 0;
      } else if (s.patience() > 0 && ++sinceBest >= s.patience()) {
        stopped = true;
      }
      checkpoints.save(
          new State(
              List.copyOf(epochs),
              snapshot(model.weights()),
              adam.moments(trained),
              serialize(random),
              best,
              bestWeights,
              sinceBest));
    }
    if (bestWeights != null) {
      restore(model.weights(), bestWeights);
    }
    return epochs;
  }

  /** One pass over the training cells in a shuffled batch order; the mean training loss. */
  private static double epoch(
      CellClassifier model,
      LabelledCells train,
      List<LengthBatcher.Batch> batches,
      List<TrainableBert.NamedWeight> trained,
      AdamW adam,
      LearningRateSchedule schedule,
      Random random,
      Settings s) {
    List<LengthBatcher.Batch> order = new ArrayList<>(batches);
    Collections.shuffle(order, random);
    double lossSum = 0;
    long cells = 0;
    for (LengthBatcher.Batch b : order) {
      TrainingBatch batch = batch(train, b.cells(), model);
      try (NDManager m = model.manager().newSubManager()) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray loss =
              WeightedCrossEntropy.loss(model.logits(m, batch), batch.labels(), s.classWeights());
          lossSum += loss.getFloat() * batch.cells();
          cells += batch.cells();
          collector.backward(loss);
        }
        adam.step(trained, schedule.at(adam.steps()));
      }
      zeroFrozen(model.weights(), trained);
    }
    return lossSum / Math.max(1, cells);
  }

  private static byte[] serialize(Object o) {
    try (java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(b)) {
      out.writeObject(o);
      out.flush();
      return b.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Object deserialize(byte[] bytes) {
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes))) {
      return in.readObject();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The weights that train: all but the embeddings and the first {@code freeze} layers. */
  static List<TrainableBert.NamedWeight> trainable(
      List<TrainableBert.NamedWeight> all, int freeze) {
    if (freeze <= 0) {
      return all;
    }
    List<TrainableBert.NamedWeight> out = new ArrayList<>();
    for (TrainableBert.NamedWeight w : all) {
      boolean frozen = w.name().startsWith("embeddings.");
      for (int l = 0; l < freeze && !frozen; l++) {
        frozen = w.name().startsWith("encoder.layer." + l + ".");
      }
      if (!frozen) {
        out.add(w);
      }
    }
    return out;
  }

  /** Frozen weights still collect gradients; they are cleared so none accumulates. */
  private static void zeroFrozen(
      List<TrainableBert.NamedWeight> all, List<TrainableBert.NamedWeight> trained) {
    if (trained.size() == all.size()) {
      return;
    }
    for (TrainableBert.NamedWeight w : all) {
      if (!trained.contains(w)) {
        ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) w.value());
      }
    }
  }

  static TrainingBatch batch(LabelledCells cells, int[] positions, CellClassifier model) {
    List<int[]> tokens = new ArrayList<>(positions.length);
    int[] labels = new int[positions.length];
    for (int i = 0; i < positions.length; i++) {
      tokens.add(cells.tokens().get(positions[i]));
      labels[i] = cells.labels()[positions[i]];
    }
    return TrainingBatch.of(tokens, labels, model.clsId(), model.eosId());
  }

  private static List<float[]> snapshot(List<TrainableBert.NamedWeight> weights) {
    return weights.stream().map(w -> w.value().toFloatArray()).toList();
  }

  private static void restore(List<TrainableBert.NamedWeight> weights, List<float[]> values) {
    boolean recording = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    try {
      for (int i = 0; i < weights.size(); i++) {
        weights.get(i).value().set(values.get(i));
      }
    } finally {
      ai.djl.pytorch.jni.JniUtils.setGradMode(recording);
    }
  }
}
