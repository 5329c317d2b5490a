package org.cellspark.io.cells;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.junit.jupiter.api.Test;

class BlockRowsTest {
  @Test
  void readsEachRangeInBlocksAsRowsAreTakenAndClosesOnceAtTheEnd() {
    List<String> reads = new ArrayList<>();
    AtomicInteger closed = new AtomicInteger();
    Iterator<InternalRow> rows =
        BlockRows.of(
            List.of(new long[] {0, 5}, new long[] {5, 7}, new long[] {9, 9}).iterator(),
            2,
            (first, count, out) -> {
              reads.add(first + "+" + count);
              for (long c = first; c < first + count; c++) {
                out.add(new GenericInternalRow(new Object[] {c}));
              }
            },
            closed::incrementAndGet);
    assertThat(rows.next().getLong(0)).isEqualTo(0);
    assertThat(reads).containsExactly("0+2"); // nothing read ahead of what is taken
    List<Long> cells = new ArrayList<>(List.of(0L));
    while (rows.hasNext()) {
      assertThat(closed).hasValue(0);
      cells.add(rows.next().getLong(0));
    }
    assertThat(cells).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(reads).containsExactly("0+2", "2+2", "4+1", "5+2");
    assertThat(rows.hasNext()).isFalse();
    assertThat(closed).hasValue(1);
  }
}
