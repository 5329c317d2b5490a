package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** scikit-learn's "balanced" weights, worked by hand: n / (classes x samples of the class). */
class ClassWeightsTest {
  @Test
  void balancedWeighsRareClassesUpAndAbsentOnesZero() {
    // Labels 0, 0, 0, 1 and two cells without a class (-1): n = 4, three classes.
    long[] counts = ClassWeights.counts(new int[] {0, -1, 0, 1, 0, -1}, 3);
    assertThat(counts).containsExactly(3, 1, 0);
    float[] w = ClassWeights.of(counts, true);
    assertThat(w[0]).isCloseTo(4f / 9, within(1e-7f));
    assertThat(w[1]).isCloseTo(4f / 3, within(1e-7f));
    assertThat(w[2]).isZero();
    assertThat(ClassWeights.of(counts, false)).containsExactly(1f, 1f, 1f);
  }
}
