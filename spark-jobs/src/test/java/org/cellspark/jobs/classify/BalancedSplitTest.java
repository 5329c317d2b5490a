package org.cellspark.jobs.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When no split reaches the threshold, the one with the highest mean p-value is taken. */
class BalancedSplitTest {
  @Test
  void withoutAPassingSplitTheHighestMeanPValueIsTaken() {
    Map<String, Long> cells = Map.of("D1", 10L, "D2", 12L, "D3", 9L, "D4", 11L, "D5", 10L);
    Map<String, Object> age = Map.of("D1", 20, "D2", 30, "D3", 40, "D4", 50, "D5", 60);
    BalancedSplit.Result r =
        BalancedSplit.choose(
            cells,
            new double[] {0.6, 0.2, 0.2},
            7,
            "donor",
            List.of(new BalancedSplit.Attribute("age", age, true)),
            new Balance(List.of("age"), 6, 1.01));
    assertThat(r.met()).isFalse();
    assertThat(r.tried()).isEqualTo(6);
    List<String> lines = r.csv().lines().skip(1).toList();
    assertThat(lines).hasSize(6);
    double best = -1;
    int bestTrial = -1;
    for (String line : lines) {
      String[] f = line.split(",");
      double mean = Double.parseDouble(f[f.length - 1]);
      if (mean > best) {
        best = mean;
        bestTrial = Integer.parseInt(f[0]);
      }
    }
    assertThat(r.trial()).isEqualTo(bestTrial);
    assertThat(r.assignment())
        .isEqualTo(Split.assignGroups(cells, new double[] {0.6, 0.2, 0.2}, 7 + bestTrial, "donor"));
    // A category on one side only, or the same on both: the p-value says nothing differs.
    assertThat(BalancedSplit.pValue(List.of("F", "F"), List.of("F"), false)).isEqualTo(1.0);
    assertThat(BalancedSplit.pValue(List.of(), List.of("F"), false)).isNaN();
  }
}
