package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.IdentityHashMap;
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
 * from PyTorch's; this class runs PyTorch's own fused kernel ({@code torch._fused_adamw_}) inside
 * the model's program, so a step here equals a step upstream (TrainingStepTest).
 */
public final class AdamW {
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;

  /**
   * Each weight's two moments, by the weight's identity: DJL's arrays are equal when their values
   * are (and all hash alike), so a HashMap gave weights that started with the same values (two
   * tasks' zero biases, a new model's LayerNorm weights) one pair of moments between them, and
   * compared whole tensors on every lookup.
   */
  private final Map<NDArray, NDArray[]> moments = new IdentityHashMap<>();

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
   * Clips the gradients of these weights to a global norm of {@code maxNorm} (as {@code
   * clip_grad_norm_}; 0: not clipped), updates every weight from its gradient, then zeroes the
   * gradients: one call into the model's program ({@link TrainableBert#clipAndStep}), whose fused
   * AdamW kernel computes {@code torch.optim.AdamW}'s formula. Every weight must have a gradient.
   *
   * @param learningRate this step's rate (a schedule's value); the constructor's when NaN
   * @return the gradients' global norm before clipping, a scalar on the device, in {@code out}
   */
  public NDArray step(
      TrainableBert program,
      List<TrainableBert.NamedWeight> weights,
      double learningRate,
      double maxNorm,
      NDManager out) {
    step++;
    List<NDArray[]> decayed = new ArrayList<>();
    List<NDArray[]> others = new ArrayList<>();
    for (TrainableBert.NamedWeight w : weights) {
      NDArray[] mv = moments(w.value());
      (decays(w.name()) ? decayed : others).add(new NDArray[] {w.value(), mv[0], mv[1]});
    }
    return program.clipAndStep(
        decayed,
        others,
        new TrainableBert.AdamStep(
            step,
            Double.isNaN(learningRate) ? lr : learningRate,
            beta1,
            beta2,
            weightDecay,
            eps,
            maxNorm),
        out);
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
