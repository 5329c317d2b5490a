package org.cellspark.train;

/**
 * The learning rate of each optimizer step, as Hugging Face's schedulers give it (upstream's
 * Classifier trains with them): linear warm-up from 0 over {@code warmup} steps, then linear decay
 * to 0 at {@code total} steps, cosine decay to 0, or polynomial decay to {@link #POLYNOMIAL_END}
 * (the Trainer's {@code polynomial}: power 1, lr_end 1e-7). Step numbers count from 0, as the
 * Trainer's: with warm-up, the first step's rate is 0.
 */
public record LearningRateSchedule(double peak, int warmup, int total, Decay decay) {
  public enum Decay {
    LINEAR,
    COSINE,
    POLYNOMIAL
  }

  /**
   * Where the Trainer's polynomial schedule ends (its default lr_end); it refuses a peak at or
   * below it.
   */
  public static final double POLYNOMIAL_END = 1e-7;

  public LearningRateSchedule {
    if (decay == Decay.POLYNOMIAL && !(peak > POLYNOMIAL_END)) {
      throw new IllegalArgumentException(
          "a polynomial schedule decays to " + POLYNOMIAL_END + ": its peak must be above it");
    }
  }

  public double at(int step) {
    if (step < warmup) {
      return peak * step / Math.max(1, warmup);
    }
    double progress = (double) (step - warmup) / Math.max(1, total - warmup);
    return switch (decay) {
      case LINEAR -> peak * Math.max(0, 1 - progress);
      case COSINE -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
      case POLYNOMIAL -> (peak - POLYNOMIAL_END) * Math.max(0, 1 - progress) + POLYNOMIAL_END;
    };
  }
}
