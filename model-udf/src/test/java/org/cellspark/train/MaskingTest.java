package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The masking rule on a hand-worked cell, its fallback for a cell with no gene chosen, and its
 * proportions over many draws: 15% of genes chosen, 80% of those masked, 10% replaced by a gene,
 * specials never chosen nor drawn.
 */
class MaskingTest {
  /** 12 tokens: <pad> 0, <mask> 1, <cls> 2, <eos> 3, genes 4 to 11. */
  private static final Masking HALF = Masking.of(0.5, 12, 1, 0, 1, 2, 3);

  @Test
  void masksAHandWorkedCell() {
    // <cls> 5 7 9 <eos>: 5 chosen (0.4) and masked (0.5); 7 not chosen (0.6); 9 chosen (0.2) and
    // replaced (0.85) by genes[(int) (0.25 x 8)] = genes[2] = 6; <cls> and <eos> never chosen,
    // though their draws (0.1, 0.05) are below the fraction.
    MaskedCells cells = new MaskedCells(List.of(new int[] {2, 5, 7, 9, 3}), HALF, 0);
    float[] draws = {
      0.1f, 0.4f, 0.6f, 0.2f, 0.05f, // chosen?
      0f, 0.5f, 0f, 0.85f, 0f, // what replaces it
      0f, 0f, 0f, 0.25f, 0f // which gene
    };
    MaskedBatch b = MaskedBatch.of(cells, new int[] {0}, draws);
    assertThat(b.ids()).containsExactly(2, 1, 7, 6, 3);
    assertThat(b.mask()).containsExactly(1, 1, 1, 1, 1);
    assertThat(b.positions()).containsExactly(1, 3);
    assertThat(b.labels()).containsExactly(5, 9);
  }

  @Test
  void aChosenGeneKeptStaysAndPaddingIsNeverChosen() {
    // Two cells, the second padded: its pad position's draw (0.0) is ignored; gene 11 chosen and
    // kept (0.95).
    MaskedCells cells = new MaskedCells(List.of(new int[] {4, 5}, new int[] {11}), HALF, 0);
    float[] draws = {
      0.9f, 0.1f, 0.3f, 0f, // chosen? (cells x length 2)
      0f, 0.1f, 0.95f, 0f,
      0f, 0f, 0f, 0f
    };
    MaskedBatch b = MaskedBatch.of(cells, new int[] {0, 1}, draws);
    assertThat(b.ids()).containsExactly(4, 1, 11, 0);
    assertThat(b.mask()).containsExactly(1, 1, 1, 0);
    assertThat(b.positions()).containsExactly(1, 2);
    assertThat(b.labels()).containsExactly(5, 11);
  }

  @Test
  void aCellWithNoGeneChosenGetsItsGeneWithTheSmallestDraw() {
    MaskedCells cells = new MaskedCells(List.of(new int[] {2, 5, 7, 9, 3}), HALF, 0);
    float[] draws = {
      0.0f, 0.7f, 0.55f, 0.9f, 0.0f, // none of the genes below 0.5: 7 (0.55) is the smallest
      0f, 0f, 0.1f, 0f, 0f,
      0f, 0f, 0f, 0f, 0f
    };
    MaskedBatch b = MaskedBatch.of(cells, new int[] {0}, draws);
    assertThat(b.positions()).containsExactly(2);
    assertThat(b.labels()).containsExactly(7);
    assertThat(b.ids()).containsExactly(2, 5, 1, 9, 3);
  }

  @Test
  void choosesFifteenPercentAndMasksReplacesAndKeepsThemAsBert() {
    Masking masking = Masking.of(Masking.DEFAULT_FRACTION, 100, 1, 0, 1, 2, 3);
    Random r = new Random(7);
    List<int[]> tokens = new ArrayList<>();
    int length = 400;
    for (int c = 0; c < 500; c++) {
      int[] cell = new int[length];
      cell[0] = 2;
      for (int i = 1; i < length - 1; i++) {
        cell[i] = 4 + r.nextInt(96);
      }
      cell[length - 1] = 3;
      tokens.add(cell);
    }
    MaskedCells cells = new MaskedCells(tokens, masking, 0);
    int[] all = new int[tokens.size()];
    for (int c = 0; c < all.length; c++) {
      all[c] = c;
    }
    float[] draws = new float[3 * all.length * length];
    for (int i = 0; i < draws.length; i++) {
      draws[i] = r.nextFloat();
    }
    MaskedBatch b = MaskedBatch.of(cells, all, draws);
    long genes = (long) all.length * (length - 2);
    int masked = 0;
    int replaced = 0;
    for (int k = 0; k < b.masked(); k++) {
      int position = (int) b.positions()[k];
      int column = position % length;
      assertThat(column).as("never <cls> or <eos>").isBetween(1, length - 2);
      long id = b.ids()[position];
      if (id == 1) {
        masked++;
      } else if (id != b.labels()[k]) {
        replaced++;
        assertThat(id).as("a replacement is a gene").isBetween(4L, 99L);
      }
    }
    // 199,000 genes: the shares' standard errors are under 0.001 (chosen) and 0.003 (kinds).
    assertThat((double) b.masked() / genes).isCloseTo(0.15, within(0.005));
    assertThat((double) masked / b.masked()).isCloseTo(0.8, within(0.01));
    assertThat((double) replaced / b.masked()).isCloseTo(0.1 * 95 / 96, within(0.01));
  }
}
