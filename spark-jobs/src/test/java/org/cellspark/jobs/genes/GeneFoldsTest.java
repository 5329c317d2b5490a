package org.cellspark.jobs.genes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;

/**
 * Genes dealt into folds: each gene held out by exactly one fold, the folds stratified and even,
 * every fold holding out validation and test genes of every class, a fold's labels for training
 * never naming a gene it holds out, the same seed dealing the same folds.
 */
class GeneFoldsTest {
  /** Class a: tokens 100-122 (23 genes), class b: tokens 200-211 (12 genes). */
  private static GeneClasses classes() {
    return new GeneClasses(
        List.of("a", "b"),
        List.of(IntStream.range(100, 123).toArray(), IntStream.range(200, 212).toArray()),
        List.of());
  }

  @Test
  void everyGeneIsHeldOutOnceByStratifiedEvenFolds() {
    GeneFolds f = GeneFolds.deal(classes(), 5, 42, "classes.json");
    assertThat(f.size()).isEqualTo(35);
    int[][] perFoldAndClass = new int[5][2];
    for (int g = 0; g < f.size(); g++) {
      perFoldAndClass[f.folds()[g]][f.classes()[g]]++;
    }
    for (int fold = 0; fold < 5; fold++) {
      assertThat(perFoldAndClass[fold][0]).as("a's 23 genes over 5 folds").isBetween(4, 5);
      assertThat(perFoldAndClass[fold][1]).as("b's 12 genes over 5 folds").isBetween(2, 3);
      int total = perFoldAndClass[fold][0] + perFoldAndClass[fold][1];
      assertThat(total).as("35 genes over 5 folds").isEqualTo(7);
      assertThat(f.count(fold, GeneFolds.Role.TRAIN)).isEqualTo(35 - total);
      for (int c = 0; c < 2; c++) {
        int test = 0;
        int validation = 0;
        for (int g = 0; g < f.size(); g++) {
          if (f.classes()[g] == c) {
            test += f.role(g, fold) == GeneFolds.Role.TEST ? 1 : 0;
            validation += f.role(g, fold) == GeneFolds.Role.VALIDATION ? 1 : 0;
          }
        }
        assertThat(test)
            .as("fold %d class %d: test takes the odd one", fold, c)
            .isEqualTo((perFoldAndClass[fold][c] + 1) / 2);
        assertThat(validation).isEqualTo(perFoldAndClass[fold][c] / 2).isPositive();
      }
    }
  }

  @Test
  void aFoldsTrainingLabelsNeverNameTheGenesItHoldsOut() {
    GeneFolds f = GeneFolds.deal(classes(), 5, 42, "classes.json");
    for (int fold = 0; fold < 5; fold++) {
      int[] train = f.classOfToken(fold, GeneFolds.Role.TRAIN, 300);
      int[] validation = f.classOfToken(fold, GeneFolds.Role.VALIDATION, 300);
      int[] test = f.classOfToken(fold, GeneFolds.Role.TEST, 300);
      Set<Integer> labelled = new HashSet<>();
      for (int t = 0; t < 300; t++) {
        int roles = (train[t] >= 0 ? 1 : 0) + (validation[t] >= 0 ? 1 : 0) + (test[t] >= 0 ? 1 : 0);
        assertThat(roles).as("token %d in fold %d", t, fold).isLessThanOrEqualTo(1);
        if (roles == 1) {
          labelled.add(t);
          int c = Math.max(train[t], Math.max(validation[t], test[t]));
          assertThat(c).isEqualTo(t < 200 ? 0 : 1);
        }
      }
      assertThat(labelled).hasSize(35);
    }
  }

  @Test
  void theSeedDecidesTheFolds() {
    GeneFolds a = GeneFolds.deal(classes(), 5, 42, "classes.json");
    GeneFolds again = GeneFolds.deal(classes(), 5, 42, "classes.json");
    GeneFolds other = GeneFolds.deal(classes(), 5, 7, "classes.json");
    assertThat(again.tokens()).containsExactly(a.tokens());
    assertThat(again.folds()).containsExactly(a.folds());
    assertThat(again.test()).containsExactly(a.test());
    assertThat(other.tokens()).isNotEqualTo(a.tokens());
  }

  @Test
  void aClassTooSmallForTheFoldsIsRefusedByName() {
    assertThatThrownBy(() -> GeneFolds.deal(classes(), 7, 42, "classes.json"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("class 'b' has 12 gene(s) in the vocabulary")
        .hasMessageContaining("7-fold cross-validation needs at least 14 per class")
        .hasMessageContaining("fewer --folds");
  }
}
