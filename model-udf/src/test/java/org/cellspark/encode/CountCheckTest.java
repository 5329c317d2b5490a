package org.cellspark.encode;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CountCheckTest {
  @Test
  void acceptsRawCountsAndNamesWhatIsWrongOtherwise() {
    assertThat(CountCheck.firstInvalid(new double[] {0, 1, 7, 1e6}, 4, false)).isEqualTo(-1);
    assertThat(CountCheck.firstInvalid(new double[] {1, 2.5}, 2, false)).isEqualTo(1);
    assertThat(CountCheck.firstInvalid(new double[] {1, 2.5}, 2, true)).isEqualTo(-1);
    assertThat(CountCheck.firstInvalid(new double[] {1, -1}, 2, true)).isEqualTo(1);
    assertThat(CountCheck.firstInvalid(new double[] {Double.NaN}, 1, true)).isZero();
    assertThat(CountCheck.firstInvalid(new double[] {Double.POSITIVE_INFINITY}, 1, true)).isZero();
    // Only the first n values are looked at.
    assertThat(CountCheck.firstInvalid(new double[] {1, Double.NaN}, 1, false)).isEqualTo(-1);

    assertThat(CountCheck.problem(2.5, false)).isEqualTo("not an integer");
    assertThat(CountCheck.problem(2.5, true)).isNull();
    assertThat(CountCheck.problem(-1, true)).isEqualTo("negative");
    assertThat(CountCheck.problem(Double.NaN, true)).isEqualTo("NaN");
    assertThat(CountCheck.problem(Double.NEGATIVE_INFINITY, true)).isEqualTo("infinite");
  }
}
