package org.cellspark.jobs.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scoring against known labels, on hand-made predictions. */
@ExtendWith(SharedSpark.class)
class KnownLabelsTest {
  /**
   * Twelve cells of the model's two classes (three of them wrong) and 150 cells of 150 labels the
   * model lacks: the twelve are scored, the 100 most frequent other labels listed by name, the rest
   * counted in one entry.
   */
  @Test
  void knownClassesAreScoredAndManyOtherLabelsSummed(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    String[][] known = {
      {"a", "a"}, {"a", "a"}, {"a", "a"}, {"a", "a"}, {"a", "a"}, {"a", "b"},
      {"b", "b"}, {"b", "b"}, {"b", "b"}, {"b", "b"}, {"b", "a"}, {"b", "a"}
    };
    for (String[] k : known) {
      rows.add(
          RowFactory.create(
              k[0], k[1], List.of(k[1].equals("a") ? 0.7 : 0.3, k[1].equals("a") ? 0.3 : 0.7)));
    }
    for (int i = 0; i < 150; i++) {
      rows.add(RowFactory.create(String.format("x%03d", i), "a", List.of(0.6, 0.4)));
    }
    StructType schema =
        new StructType()
            .add("cell_type", DataTypes.StringType)
            .add("predicted", DataTypes.StringType)
            .add("probability", DataTypes.createArrayType(DataTypes.DoubleType));
    KnownLabels k =
        KnownLabels.score(
            spark.createDataFrame(rows, schema),
            "cell_type",
            "predicted",
            "probability",
            List.of("a", "b"),
            null);
    assertThat(k.cells()).isEqualTo(162);
    assertThat(k.metrics().cells()).isEqualTo(12);
    assertThat(k.metrics().accuracy()).isCloseTo(9 / 12.0, within(1e-12));
    // a: precision 5/7, recall 5/6; b: precision 4/5, recall 4/6.
    double f1a = 2 * (5 / 7.0) * (5 / 6.0) / (5 / 7.0 + 5 / 6.0);
    double f1b = 2 * (4 / 5.0) * (4 / 6.0) / (4 / 5.0 + 4 / 6.0);
    assertThat(k.metrics().macroF1()).isCloseTo((f1a + f1b) / 2, within(1e-12));
    assertThat(k.metrics().confusion()).isEqualTo(new long[][] {{5, 1}, {2, 4}});
    // Each cell's score for b is 0.7 when predicted b, else 0.3.
    assertThat(k.roc().auc()).isCloseTo(rocByHand(known), within(1e-12));
    assertThat(k.notScored()).hasSize(KnownLabels.MAX_LISTED + 1);
    assertThat(k.notScored()).containsEntry("x000", 1L).containsEntry("(50 other values)", 50L);
  }

  /** The chance a b cell's score for b exceeds an a cell's (ties a half). */
  private static double rocByHand(String[][] known) {
    double wins = 0;
    int pairs = 0;
    for (String[] pos : known) {
      if (!pos[0].equals("b")) {
        continue;
      }
      for (String[] neg : known) {
        if (neg[0].equals("a")) {
          double p = pos[1].equals("a") ? 0.3 : 0.7;
          double n = neg[1].equals("a") ? 0.3 : 0.7;
          wins += p > n ? 1 : p == n ? 0.5 : 0;
          pairs++;
        }
      }
    }
    return wins / pairs;
  }
}
