package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The schedules' rates at hand-worked steps (Hugging Face's formulas: warm-up step/warmup, then
 * linear (total-step)/(total-warmup) or cosine 0.5(1+cos(pi progress))), peak 2e-5, 10 warm-up
 * steps of 110.
 */
class LearningRateScheduleTest {
  @Test
  void warmUpThenLinearOrCosineDecay() {
    LearningRateSchedule linear =
        new LearningRateSchedule(2e-5, 10, 110, LearningRateSchedule.Decay.LINEAR);
    LearningRateSchedule cosine =
        new LearningRateSchedule(2e-5, 10, 110, LearningRateSchedule.Decay.COSINE);
    assertThat(linear.at(0)).isZero();
    assertThat(linear.at(5)).isCloseTo(1e-5, within(1e-15));
    assertThat(linear.at(10)).isCloseTo(2e-5, within(1e-15));
    assertThat(linear.at(35)).isCloseTo(1.5e-5, within(1e-15)); // 75 of 100 decay steps left
    assertThat(linear.at(60)).isCloseTo(1e-5, within(1e-15));
    assertThat(linear.at(110)).isZero();
    assertThat(cosine.at(5)).isCloseTo(1e-5, within(1e-15));
    assertThat(cosine.at(60)).isCloseTo(1e-5, within(1e-15)); // cos(pi/2) = 0
    assertThat(cosine.at(35)).isCloseTo(2e-5 * 0.5 * (1 + Math.sqrt(0.5)), within(1e-15));
    assertThat(cosine.at(110)).isCloseTo(0, within(1e-15));
  }

  /**
   * The Trainer's polynomial schedule (power 1, lr_end 1e-7): warm-up as the others, then (peak -
   * 1e-7) x the share of decay steps left + 1e-7, and 1e-7 after the last step.
   */
  @Test
  void polynomialDecaysToItsEnd() {
    LearningRateSchedule p =
        new LearningRateSchedule(2e-5, 10, 110, LearningRateSchedule.Decay.POLYNOMIAL);
    assertThat(p.at(5)).isCloseTo(1e-5, within(1e-15));
    assertThat(p.at(10)).isCloseTo(2e-5, within(1e-15));
    assertThat(p.at(35)).isCloseTo(1.99e-5 * 0.75 + 1e-7, within(1e-15));
    assertThat(p.at(60)).isCloseTo(1.005e-5, within(1e-15));
    assertThat(p.at(110)).isCloseTo(1e-7, within(1e-15));
    assertThat(p.at(200)).isCloseTo(1e-7, within(1e-15));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new LearningRateSchedule(1e-7, 0, 10, LearningRateSchedule.Decay.POLYNOMIAL))
        .hasMessageContaining("peak must be above");
  }
}
