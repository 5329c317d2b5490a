package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Packed tokens give back every cell as it was added, in the order asked for, the cells with an ID
 * beyond 16 bits included; their lengths need no decoding; examples keep them as they are.
 */
class CompactTokensTest {
  private static CompactTokens threeCells() {
    return CompactTokens.builder()
        .add(new int[] {2, 25_425, 7, 3})
        .add(new int[] {0, 70_000, 65_535})
        .add(new int[] {})
        .build(new int[] {2, 0, 1});
  }

  @Test
  void givesBackEveryCellInTheOrderAsked() {
    CompactTokens cells = threeCells();
    assertThat(cells).hasSize(3);
    assertThat(cells.get(0)).isEmpty();
    assertThat(cells.get(1)).containsExactly(2, 25_425, 7, 3);
    assertThat(cells.get(2))
        .as("an ID beyond 65,535 keeps the cell whole")
        .containsExactly(0, 70_000, 65_535);
    assertThat(cells.lengths()).containsExactly(0, 4, 3);
    cells.get(1)[0] = 99;
    assertThat(cells.get(1)[0]).as("a decoded copy: the list stays as it was").isEqualTo(2);
  }

  @Test
  void examplesKeepThemWithoutACopyAndTheirLengthsWithoutDecoding() {
    CompactTokens cells = threeCells();
    LabelledCells labelled = new LabelledCells(cells, new int[] {0, 1, 0});
    assertThat(labelled.tokens()).isSameAs(cells);
    assertThat(labelled.lengths()).containsExactly(0, 4, 3);
    assertThat(labelled.size()).isEqualTo(3);
    assertThatThrownBy(() -> cells.add(new int[] {1}))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(new LabelledCells(List.of(new int[] {4, 5}), new int[] {1}).lengths())
        .containsExactly(2);
  }
}
