package org.cellspark.io.cells;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Hand-worked orders: a range sorted in place, stably, the rest of the arrays untouched. */
class GeneOrderTest {
  @Test
  void sortsOnlyTheRangeByGeneKeepingEqualGenesInOrder() {
    int[] genes = {9, 5, 3, 5, 1, 0};
    double[] values = {90, 51, 30, 52, 10, 0};
    GeneOrder.sort(genes, values, 1, 5);
    assertThat(genes).containsExactly(9, 1, 3, 5, 5, 0);
    assertThat(values).containsExactly(90, 10, 30, 51, 52, 0);
  }

  @Test
  void sortedAndEmptyRangesAreLeftAsTheyAre() {
    int[] genes = {1, 2, 2, 7};
    double[] values = {1, 2, 3, 4};
    GeneOrder.sort(genes, values, 0, 4);
    GeneOrder.sort(genes, values, 2, 2);
    assertThat(genes).containsExactly(1, 2, 2, 7);
    assertThat(values).containsExactly(1, 2, 3, 4);
  }

  @Test
  void largeGeneIndexesSortAsNumbers() {
    int[] genes = {Integer.MAX_VALUE, 0, 65_536, 65_535};
    double[] values = {4, 1, 3, 2};
    GeneOrder.sort(genes, values, 0, 4);
    assertThat(genes).containsExactly(0, 65_535, 65_536, Integer.MAX_VALUE);
    assertThat(values).containsExactly(1, 2, 3, 4);
  }
}
