package org.cellspark.train;

/**
 * The learning rate of each optimizer step, as Hugging Face's schedulers give it (upstream's
 * Classifier trains with them): linear warm-up from 0 over {@code warmup} steps, then linear decay
 * to 0 at {@code total} steps, or cosine decay. Step numbers count from 0, as the Trainer's: with
 * warm-up, the first step's rate is 0.
 */
public record LearningRateSchedule(double peak, int warmup, int total, Decay decay) {
  public enum Decay {
    LINEAR,
    COSINE
  }

  public double at(int step) {
    if (step < warmup) {
      return peak * step / Math.max(1, warmup);
    }
    double progress = (double) (step - warmup) / Math.max(1, total - warmup);
    return switch (decay) {
      case LINEAR -> peak * Math.max(0, 1 - progress);
      case COSINE -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    };
  }
}
