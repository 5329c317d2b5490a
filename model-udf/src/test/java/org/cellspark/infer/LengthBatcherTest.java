package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LengthBatcherTest {
  @Test
  void groupsByLengthUnderTheBudgetAndCoversEveryNonEmptyCellOnce() {
    Random rnd = new Random(3);
    int[] lengths = new int[500];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = i % 50 == 0 ? 0 : 500 + rnd.nextInt(1549); // realistic 500-2,048, some empty
    }
    long budget = 16_384;
    List<LengthBatcher.Batch> batches = LengthBatcher.byLength(lengths, budget);
    List<Integer> seen = new ArrayList<>();
    int previousLongest = Integer.MAX_VALUE;
    for (LengthBatcher.Batch b : batches) {
      assertThat(b.paddedTokens()).isLessThanOrEqualTo(budget);
      assertThat(b.paddedLength()).isLessThanOrEqualTo(previousLongest); // longest batches first
      previousLongest = b.paddedLength();
      for (int c : b.cells()) {
        assertThat(lengths[c]).isLessThanOrEqualTo(b.paddedLength()).isPositive();
        seen.add(c);
      }
    }
    assertThat(seen).doesNotHaveDuplicates().hasSize(490);
    double grouped = LengthBatcher.paddingFraction(batches, lengths);
    double arrival =
        LengthBatcher.paddingFraction(LengthBatcher.inArrivalOrder(lengths, budget), lengths);
    assertThat(grouped).isLessThan(0.05);
    assertThat(arrival).isGreaterThan(grouped * 3);
  }

  @Test
  void aCellLongerThanTheBudgetGetsItsOwnBatch() {
    List<LengthBatcher.Batch> batches = LengthBatcher.byLength(new int[] {10, 100, 10, 10}, 40);
    assertThat(batches).hasSize(2);
    assertThat(batches.get(0).cells()).containsExactly(1);
    assertThat(batches.get(1).cells()).containsExactly(0, 2, 3); // ties keep input order
    assertThat(batches.get(1).paddedLength()).isEqualTo(10);
  }

  @Test
  void aCellMuchShorterThanTheBatchsLongestStartsANewBatch() {
    // 100 and 96 share a batch (4% padding); 94 would pad 6%: new batch.
    List<LengthBatcher.Batch> batches = LengthBatcher.byLength(new int[] {94, 100, 96}, 1000);
    assertThat(batches).extracting(LengthBatcher.Batch::paddedLength).containsExactly(100, 94);
    assertThat(batches.get(0).cells()).containsExactly(1, 2);
  }
}
