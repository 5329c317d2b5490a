package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Units (trials, folds) dealt through Spark's own shuffle: every unit in a partition of its own,
 * with every row, for unit counts from 1 to the most a search allows.
 */
@ExtendWith(SharedSpark.class)
class TrialsTest {
  static final class Seeing implements FlatMapFunction<Iterator<Row>, UnitCount> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<UnitCount> call(Iterator<Row> rows) {
      int unit = -1;
      long n = 0;
      while (rows.hasNext()) {
        Row r = rows.next();
        unit = r.getInt(r.length() - 1);
        n++;
      }
      return unit < 0
          ? List.<UnitCount>of().iterator()
          : List.of(new UnitCount(0, unit, n, 0)).iterator();
    }
  }

  @Test
  void everyUnitGetsAPartitionOfItsOwnWithEveryRow(SparkSession spark) {
    Dataset<Row> cells = spark.range(37).toDF("cell");
    for (int units : new int[] {1, 2, 3, 5, 7, 16, 64}) {
      List<UnitCount> seen =
          Trials.runUnits(Trials.perUnit(spark, cells, units), units, new Seeing());
      assertThat(seen).as("%d units", units).hasSize(units);
      List<Integer> trials = new ArrayList<>();
      seen.forEach(s -> trials.add(s.trial()));
      assertThat(new TreeSet<>(trials)).hasSize(units);
      assertThat(seen).allMatch(s -> s.rows() == 37);
    }
  }
}
