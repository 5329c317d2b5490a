package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
        NDArray[] mv = moments(p);
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
   * The optimizer's state for these weights, by PyTorch's names: {@code exp_avg.NAME} and {@code
   * exp_avg_sq.NAME}, each weight's first and second moment. The arrays are the optimizer's own
   * (created as zeros where a weight has not been updated yet, which is how Adam starts), so a
   * checkpoint writes them as they are and a resumed run reads its saved moments into them.
   */
  public Map<String, NDArray> state(List<TrainableBert.NamedWeight> weights) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (TrainableBert.NamedWeight w : weights) {
      NDArray[] mv = moments(w.value());
      out.put("exp_avg." + w.name(), mv[0]);
      out.put("exp_avg_sq." + w.name(), mv[1]);
    }
    return out;
  }

  /** Continues counting from a saved run's steps (its moments read into {@link #state}). */
  public void resumeAt(int steps) {
    step = steps;
  }

  private NDArray[] moments(NDArray p) {
    return moments.computeIfAbsent(p, k -> new NDArray[] {k.zerosLike(), k.zerosLike()});
  }
}
