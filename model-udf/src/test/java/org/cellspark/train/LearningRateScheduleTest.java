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
}
