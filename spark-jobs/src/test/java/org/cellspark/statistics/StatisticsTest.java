package org.cellspark.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.StreamSupport;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The statistics against the libraries upstream uses: tests.json holds SciPy's ranksums,
 * statsmodels' fdr_bh and scikit-learn's GaussianMixture on fixed inputs
 * (src/test/python/make_stats_reference.py).
 */
class StatisticsTest {
  private static final double RELATIVE = 1e-9;
  private static JsonNode reference;

  @BeforeAll
  static void load() throws IOException {
    reference = new ObjectMapper().readTree(Fixtures.stats("tests.json").toFile());
  }

  private static double[] doubles(JsonNode a) {
    return StreamSupport.stream(a.spliterator(), false).mapToDouble(JsonNode::asDouble).toArray();
  }

  private static void assertRelative(double actual, double expected, String what) {
    if (expected == 0) {
      assertThat(actual).as(what).isZero();
    } else {
      assertThat(Math.abs(actual - expected) / Math.abs(expected))
          .as("%s: %s vs %s", what, actual, expected)
          .isLessThanOrEqualTo(RELATIVE);
    }
  }

  @Test
  void rankSumsEqualScipy() {
    int i = 0;
    for (JsonNode c : reference.get("ranksums")) {
      double[] x = doubles(c.get("x"));
      double[] y = doubles(c.get("y"));
      double[] sortedX = x.clone();
      Arrays.sort(sortedX);
      // SciPy's statistic is for x; ours for the second sample, so the sign flips.
      assertRelative(
          -RankSumTest.zScore(sortedX, y),
          c.get("statistic").asDouble(),
          "case " + i + " statistic");
      assertRelative(
          RankSumTest.pValue(sortedX, y), c.get("pvalue").asDouble(), "case " + i + " p");
      double[] sortedY = y.clone();
      Arrays.sort(sortedY);
      assertRelative(
          RankSumTest.pValue(sortedY, x),
          c.get("pvalue").asDouble(),
          "case " + i + " p, samples swapped");
      i++;
    }
    assertThat(i).isGreaterThanOrEqualTo(8);
  }

  @Test
  void handWorkedRankSum() {
    // x = {1, 2, 3}, y = {4, 5}: y's ranks 4 + 5 = 9, expected 2 * 6 / 2 = 6, variance 3 * 2 * 6 /
    // 12 = 3.
    assertThat(RankSumTest.zScore(new double[] {1, 2, 3}, new double[] {4, 5}))
        .isCloseTo(3 / Math.sqrt(3), within(1e-15));
    assertThat(RankSumTest.pValue(new double[0], new double[] {1})).isNaN();
  }

  @Test
  void fdrEqualsStatsmodels() {
    for (JsonNode c : reference.get("fdr")) {
      double[] q = BenjaminiHochberg.adjust(doubles(c.get("p")));
      double[] expected = doubles(c.get("fdr"));
      assertThat(q).hasSameSizeAs(expected);
      for (int k = 0; k < q.length; k++) {
        assertRelative(q[k], expected[k], "fdr " + k);
      }
    }
  }

  @Test
  void fdrCountsNanAsOne() {
    assertThat(BenjaminiHochberg.adjust(new double[] {0.01, Double.NaN}))
        .containsExactly(0.02, 1.0);
  }

  @Test
  void mixtureEqualsScikitLearn() {
    for (JsonNode c : reference.get("mixture")) {
      double[] values = doubles(c.get("values"));
      GaussianMixture1D.Fit fit = GaussianMixture1D.fit(values, 1e-12, 100_000);
      assertThat(fit.converged()).isTrue();
      for (int k = 0; k < 2; k++) {
        assertThat(fit.means()[k]).isCloseTo(c.get("means").get(k).asDouble(), within(1e-7));
        assertThat(fit.variances()[k] / c.get("variances").get(k).asDouble())
            .isCloseTo(1.0, within(1e-5));
        assertThat(fit.weights()[k]).isCloseTo(c.get("weights").get(k).asDouble(), within(1e-6));
      }
      int[] predicted = Arrays.stream(values).mapToInt(fit::predict).toArray();
      int[] expected =
          StreamSupport.stream(c.get("predict").spliterator(), false)
              .mapToInt(JsonNode::asInt)
              .toArray();
      assertThat(predicted).containsExactly(expected);
    }
  }
}
