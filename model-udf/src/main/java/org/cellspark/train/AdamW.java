package org.cellspark.train;

import ai.djl.ndarray.NDArray;
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
 * weights, as the Trainer groups them. DJL 0.36's AdamW folds the bias corrections into the
 * learning rate and adds epsilon to the uncorrected root (MXNet's form), so its steps differ from
 * PyTorch's; this one follows PyTorch's, so a step here equals a step upstream.
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
    try {
      for (TrainableBert.NamedWeight w : weights) {
        NDArray p = w.value();
        NDArray g = p.getGradient();
        NDArray[] mv =
            moments.computeIfAbsent(p, k -> new NDArray[] {k.zerosLike(), k.zerosLike()});
        if (weightDecay > 0 && decays(w.name())) {
          p.muli(1 - rate * weightDecay);
        }
        mv[0].muli(beta1).addi(g.mul(1 - beta1));
        mv[1].muli(beta2).addi(g.square().mul(1 - beta2));
        NDArray denominator = mv[1].div(correction2).sqrt().add(eps);
        p.subi(mv[0].div(correction1).div(denominator).mul(rate));
        JniUtils.zeroGrad((PtNDArray) p);
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  public int steps() {
    return step;
  }
}
