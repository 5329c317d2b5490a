package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cellspark.model.TrainableBert;

/**
 * Adam with decoupled weight decay, exactly as {@code torch.optim.AdamW} (upstream's optimizer,
 * through Hugging Face's Trainer): {@code p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}, with no decay on biases and LayerNorm
 * weights, as the Trainer groups them. DJL 0.36's AdamW optimizer uses MXNet's form (the bias
 * corrections folded into the learning rate, epsilon added to the uncorrected root), which differs
 * from PyTorch's; this class calls the same fused libtorch update with epsilon scaled per step so
 * that the two forms agree, and a step here equals a step upstream (TrainingStepTest).
 */
public final class AdamW {
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Map<NDArray, NDArray[]> moments = new HashMap<>();
  private int step;

  public AdamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Whether a weight decays: not a bias, not a LayerNorm weight (the Trainer's grouping). */
  static boolean decays(String name) {
    return !(name.endsWith("bias") || name.contains("LayerNorm"));
  }

  /**
   * One update of every weight from its gradient, then the gradients zeroed. Runs with gradient
   * recording off: the weights are updated in place.
   *
   * @param learningRate this step's rate (a schedule's value); the constructor's when NaN
   */
  public void step(List<TrainableBert.NamedWeight> weights, double learningRate) {
    double rate = Double.isNaN(learningRate) ? lr : learningRate;
    step++;
    double correction1 = 1 - Math.pow(beta1, step);
    double correction2 = 1 - Math.pow(beta2, step);
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    // The gradients' handles live in a scope closed after the step.
    try (NDManager scope = weights.get(0).value().getManager().newSubManager()) {
      for (TrainableBert.NamedWeight w : weights) {
        NDArray p = w.value();
        NDArray[] mv =
            moments.computeIfAbsent(p, k -> new NDArray[] {k.zerosLike(), k.zerosLike()});
        NDArray g = p.getGradient();
        g.attach(scope);
        // libtorch's fused update, in MXNet's form: the bias corrections folded into the rate
        // and epsilon added to the uncorrected root. With epsilon scaled by sqrt(1-b2^t) that is
        // exactly PyTorch's formula (both sides then divide by sqrt(v) + eps*sqrt(1-b2^t)).
        JniUtils.adamUpdate(
            (PtNDArray) p,
            (PtNDArray) g,
            (PtNDArray) mv[0],
            (PtNDArray) mv[1],
            (float) rate,
            (float) (rate * Math.sqrt(correction2) / correction1),
            weightDecay > 0 && decays(w.name()) ? (float) weightDecay : 0f,
            1f,
            -1f,
            (float) beta1,
            (float) beta2,
            (float) (eps * Math.sqrt(correction2)),
            true);
        JniUtils.zeroGrad((PtNDArray) p);
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  public int steps() {
    return step;
  }

  /**
   * The optimizer's state: the step count and each trained weight's first and second moments, in
   * the weights' order (absent before the first step).
   */
  public record Moments(int step, List<float[]> first, List<float[]> second)
      implements java.io.Serializable {}

  public Moments moments(List<TrainableBert.NamedWeight> weights) {
    List<float[]> first = new java.util.ArrayList<>();
    List<float[]> second = new java.util.ArrayList<>();
    for (TrainableBert.NamedWeight w : weights) {
      NDArray[] mv = moments.get(w.value());
      first.add(mv == null ? null : mv[0].toFloatArray());
      second.add(mv == null ? null : mv[1].toFloatArray());
    }
    return new Moments(step, first, second);
  }

  /** Continues from a saved state (the same weights, in the same order). */
  public void restore(List<TrainableBert.NamedWeight> weights, Moments saved) {
    step = saved.step();
    for (int i = 0; i < weights.size(); i++) {
      if (saved.first().get(i) == null) {
        continue;
      }
      NDArray p = weights.get(i).value();
      NDArray m = p.zerosLike();
      NDArray v = p.zerosLike();
      m.set(saved.first().get(i));
      v.set(saved.second().get(i));
      moments.put(p, new NDArray[] {m, v});
    }
  }
}
