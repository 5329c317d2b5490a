package org.cellspark.perturb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;

/** Perturbed copies worked out by hand (<cls> = 2, <eos> = 3; genes are 10, 11, ...). */
class PerturbationBuilderTest {
  private static final int[] V2 = {2, 10, 11, 12, 13, 14, 3};
  private static final int[] V1 = {10, 11, 12, 13, 14};

  private static PerturbationBuilder builder(PerturbationType t, int maxLength) {
    return new PerturbationBuilder(t, 1, maxLength, 2, 3);
  }

  @Test
  void candidatesAreUpstreamsSets() {
    // V2 delete: genes 1..n-2; V2 overexpress skips the already-first gene; V1 likewise.
    assertThat(builder(PerturbationType.DELETE, 100).candidates(V2)).containsExactly(1, 2, 3, 4, 5);
    assertThat(builder(PerturbationType.OVEREXPRESS, 100).candidates(V2))
        .containsExactly(2, 3, 4, 5);
    assertThat(builder(PerturbationType.DELETE, 100).candidates(V1)).containsExactly(0, 1, 2, 3, 4);
    assertThat(builder(PerturbationType.OVEREXPRESS, 100).candidates(V1))
        .containsExactly(1, 2, 3, 4);
  }

  @Test
  void deleteAndOverexpressKeepTheOtherGenesAligned() {
    Perturbation d = builder(PerturbationType.DELETE, 100).single(V2, 3); // gene 12
    assertThat(d.perturbed()).containsExactly(2, 10, 11, 13, 14, 3);
    assertThat(d.originalIndex()).containsExactly(1, 2, 4, 5);
    assertThat(d.perturbedIndex()).containsExactly(1, 2, 3, 4);

    Perturbation o =
        builder(PerturbationType.OVEREXPRESS, 100).single(V2, 4); // gene 13 to the front
    assertThat(o.perturbed()).containsExactly(2, 13, 10, 11, 12, 14, 3);
    assertThat(o.originalIndex()).containsExactly(1, 2, 3, 5);
    assertThat(o.perturbedIndex()).containsExactly(2, 3, 4, 5);
    assertThat(o.perturbedGenes()).containsExactly(13);
  }

  @Test
  void inhibitAndActivateMoveByQuartersOfTheCellsGenes() {
    // 5 genes, rank shift 1: ceil(5/4) = 2 positions.
    Perturbation down =
        builder(PerturbationType.INHIBIT, 100).single(V2, 1); // gene 10: position 1 -> 3
    assertThat(down.perturbed()).containsExactly(2, 11, 12, 10, 13, 14, 3);
    assertThat(down.originalIndex()).containsExactly(2, 3, 4, 5);
    assertThat(down.perturbedIndex()).containsExactly(1, 2, 4, 5);
    Perturbation up = builder(PerturbationType.ACTIVATE, 100).single(V2, 5); // gene 14: 5 -> 3
    assertThat(up.perturbed()).containsExactly(2, 10, 11, 14, 12, 13, 3);
    // Stops at the ends; a gene already there is not perturbed.
    assertThat(builder(PerturbationType.INHIBIT, 100).single(V2, 4).perturbed())
        .containsExactly(2, 10, 11, 12, 14, 13, 3);
    assertThat(builder(PerturbationType.INHIBIT, 100).single(V2, 5)).isNull();
    assertThat(builder(PerturbationType.ACTIVATE, 100).single(V2, 1)).isNull();
    assertThat(
            new PerturbationBuilder(PerturbationType.INHIBIT, 3, 100, 2, 3)
                .single(V1, 0)
                .perturbed())
        .containsExactly(11, 12, 13, 14, 10); // ceil(3*5/4) = 4 positions
  }

  @Test
  void groupOverexpressionOfAbsentGenesTruncatesBothSidesAlike() {
    // A full V2 cell (max 7 tokens); overexpress {14 (present), 20 (absent)}: one token more.
    // n_overflow = max(0, 7 + 1 - 7) = 1: perturbed [cls 14 20 10 11 12 eos] (13 dropped),
    // original truncated to [cls 10 11 12 13 eos] and compared on 10, 11, 12.
    Perturbation p = builder(PerturbationType.OVEREXPRESS, 7).group(V2, new int[] {14, 20});
    assertThat(p.perturbed()).containsExactly(2, 14, 20, 10, 11, 12, 3);
    assertThat(p.original()).containsExactly(2, 10, 11, 12, 13, 3);
    assertThat(p.originalIndex()).containsExactly(1, 2, 3);
    assertThat(p.perturbedIndex()).containsExactly(3, 4, 5);
    // The same genes with room to spare: nothing is truncated, the cell itself is the original.
    Perturbation roomy = builder(PerturbationType.OVEREXPRESS, 100).group(V2, new int[] {14, 20});
    assertThat(roomy.perturbed()).containsExactly(2, 14, 20, 10, 11, 12, 13, 3);
    assertThat(roomy.comparesWithCell(V2)).isTrue();
    // Upstream's rule (n_overflow from the post-insertion length) would drop one more gene when
    // the cell is exactly full after insertion; ours does not: here 6 + 1 = 7 fits exactly.
    int[] six = {2, 10, 11, 12, 13, 3};
    Perturbation exact = builder(PerturbationType.OVEREXPRESS, 7).group(six, new int[] {20});
    assertThat(exact.perturbed()).containsExactly(2, 20, 10, 11, 12, 13, 3);
    assertThat(exact.original()).isSameAs(six);
  }

  @Test
  void groupDeleteAndAnchors() {
    Perturbation d = builder(PerturbationType.DELETE, 100).group(V1, new int[] {13, 11, 99});
    assertThat(d.perturbed()).containsExactly(10, 12, 14);
    assertThat(d.perturbedGenes()).containsExactly(13, 11, 99);
    assertThat(builder(PerturbationType.DELETE, 100).group(V1, new int[] {98, 99})).isNull();
    Perturbation a =
        builder(PerturbationType.OVEREXPRESS, 100).withAnchor(V1, 3, 1); // anchor 13, gene 11
    assertThat(a.perturbed()).containsExactly(11, 13, 10, 12, 14);
    assertThatThrownBy(() -> builder(PerturbationType.INHIBIT, 100).withAnchor(V1, 3, 1))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--anchor-gene combines genes for delete and overexpress");
    assertThatThrownBy(() -> new PerturbationBuilder(PerturbationType.ACTIVATE, 4, 100, 2, 3))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--rank-shift must be 1, 2 or 3");
  }

  @Test
  void deletingTheOnlyGeneLeavesNothingToEmbed() {
    assertThat(builder(PerturbationType.DELETE, 100).single(new int[] {10}, 0)).isNull();
    assertThat(builder(PerturbationType.DELETE, 100).single(new int[] {2, 10, 3}, 1)).isNull();
  }
}
