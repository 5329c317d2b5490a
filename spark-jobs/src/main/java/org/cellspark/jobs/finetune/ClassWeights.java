package org.cellspark.jobs.finetune;

import java.util.Arrays;

/** The class weights a training's loss takes, from how many training samples each class has. */
public final class ClassWeights {
  private ClassWeights() {}

  /**
   * Balanced: n / (classes x samples of the class), scikit-learn's "balanced" (a class without
   * samples weighs 0); else every class weighs 1.
   */
  public static float[] of(long[] counts, boolean balanced) {
    float[] w = new float[counts.length];
    Arrays.fill(w, 1f);
    if (!balanced) {
      return w;
    }
    long n = Arrays.stream(counts).sum();
    for (int k = 0; k < counts.length; k++) {
      w[k] = counts[k] == 0 ? 0f : (float) n / (counts.length * counts[k]);
    }
    return w;
  }

  /**
   * How many of {@code labels} are each class (0 to classes-1; negative: no class, not counted).
   */
  public static long[] counts(int[] labels, int classes) {
    long[] counts = new long[classes];
    for (int l : labels) {
      if (l >= 0) {
        counts[l]++;
      }
    }
    return counts;
  }
}
