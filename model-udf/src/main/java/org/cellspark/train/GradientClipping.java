package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.cellspark.model.TrainableBert;

/**
 * Clips gradients by their global norm, as Hugging Face's Trainer does before every optimizer step
 * ({@code max_grad_norm}, 1.0 by default, which upstream's Classifier keeps) through {@code
 * torch.nn.utils.clip_grad_norm_}: the L2 norm over every trained weight's gradient taken as one
 * vector; each gradient multiplied by {@code min(1, maxNorm / (norm + 1e-6))}. All of it on the
 * weights' device, without waiting for it (no value is read back).
 */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Clips in place.
   *
   * @param maxNorm the largest norm let through; 0 or less: no clipping (the norm is still taken)
   * @param m where the returned norm lives
   * @return the norm before clipping, a scalar on the device
   */
  public static NDArray clip(List<TrainableBert.NamedWeight> weights, double maxNorm, NDManager m) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager scope = m.newSubManager()) {
      NDArray[] gradients = new NDArray[weights.size()];
      NDArray squares = null;
      for (int i = 0; i < gradients.length; i++) {
        gradients[i] = weights.get(i).value().getGradient();
        gradients[i].attach(scope);
        NDArray s = gradients[i].square().sum();
        squares = squares == null ? s : squares.add(s);
      }
      NDArray norm = squares.sqrt();
      if (maxNorm > 0) {
        NDArray factor = norm.add(1e-6).pow(-1).mul(maxNorm).clip(0, 1);
        for (NDArray g : gradients) {
          g.muli(factor);
        }
      }
      norm.attach(m);
      return norm;
    } finally {
      JniUtils.setGradMode(recording);
    }
  }
}
