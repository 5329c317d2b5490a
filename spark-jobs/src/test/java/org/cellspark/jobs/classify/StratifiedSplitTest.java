package org.cellspark.jobs.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.finetune.FinetuneOptions;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * --stratify: every split (and fold) holds each value's cells in its share, to a cell. Class sizes
 * 500, 37, 10 and 3 with the 0.8 / 0.1 / 0.1 split, worked by hand from the rule (the cell ranked r
 * of n by its hash goes where (r - 1/2) / n falls): 400/50/50, 30/3/4, 8/1/1 and 2/1/0. The same
 * cells get the same splits however the table is partitioned; nulls are a value of their own; what
 * is refused.
 */
@ExtendWith(SharedSpark.class)
class StratifiedSplitTest {
  private static final double[] SPLIT = {0.8, 0.1, 0.1};

  /** Cells c0..: classes A (500), B (37), C (10), D (3); batch b1 for every third, else null. */
  private static Dataset<Row> cells(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    sizes.put("A", 500);
    sizes.put("B", 37);
    sizes.put("C", 10);
    sizes.put("D", 3);
    int i = 0;
    for (Map.Entry<String, Integer> e : sizes.entrySet()) {
      for (int k = 0; k < e.getValue(); k++, i++) {
        rows.add(RowFactory.create("c" + i, e.getKey(), e.getKey(), i % 3 == 0 ? "b1" : null));
      }
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType, false)
            .add("cell_type", DataTypes.StringType, false)
            .add("_label", DataTypes.StringType, false)
            .add("batch", DataTypes.StringType, true);
    return spark.createDataFrame(rows, schema);
  }

  private static LabelSplits.Settings stratified(String column) {
    return new LabelSplits.Settings(
        "cell_type", null, "cells.parquet", SPLIT, 42, 0, 0, null, null, column);
  }

  /** Cells per (value of {@code by}, split). */
  private static Map<String, Map<String, Long>> counts(Dataset<Row> split, String by) {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (Row r : split.groupBy(by, "_split").count().collectAsList()) {
      out.computeIfAbsent(String.valueOf(r.getString(0)), k -> new TreeMap<>())
          .put(r.getString(1), r.getLong(2));
    }
    return out;
  }

  private static Map<String, Long> split(long train, long validation, long test) {
    Map<String, Long> m = new TreeMap<>();
    if (train > 0) {
      m.put("train", train);
    }
    if (validation > 0) {
      m.put("validation", validation);
    }
    if (test > 0) {
      m.put("test", test);
    }
    return m;
  }

  @Test
  void eachClassIsSplitInTheSplitsSharesToACell(SparkSession spark) {
    Map<String, Object> info = new LinkedHashMap<>();
    Dataset<Row> split =
        LabelSplits.withSplit(spark, cells(spark), stratified("cell_type"), info, null);
    assertThat(counts(split, "cell_type"))
        .containsEntry("A", split(400, 50, 50))
        .containsEntry("B", split(30, 3, 4))
        .containsEntry("C", split(8, 1, 1))
        .containsEntry("D", split(2, 1, 0));
    assertThat(info).containsEntry("strata", 4);
    assertThat(info.get("by").toString()).contains("stratified by cell_type");
    assertThat(split.columns()).doesNotContain("_stratum", "_h", "_cuts", "_segment");

    // The same cells, the same splits, in seven partitions; "label" (upstream's name for the
    // prepared label column) is the label when the table has no such column.
    Map<String, String> once = splitOf(split);
    assertThat(
            splitOf(
                LabelSplits.withSplit(
                    spark,
                    cells(spark).repartition(7),
                    stratified("label"),
                    new HashMap<>(),
                    null)))
        .isEqualTo(once);
    // Another seed, another split of the same shares.
    LabelSplits.Settings seed7 =
        new LabelSplits.Settings(
            "cell_type", null, "cells.parquet", SPLIT, 7, 0, 0, null, null, "cell_type");
    Dataset<Row> other = LabelSplits.withSplit(spark, cells(spark), seed7, new HashMap<>(), null);
    assertThat(splitOf(other)).isNotEqualTo(once);
    assertThat(counts(other, "cell_type")).isEqualTo(counts(split, "cell_type"));
  }

  @Test
  void nullsAreAValueOfTheirOwn(SparkSession spark) {
    Dataset<Row> split =
        LabelSplits.withSplit(spark, cells(spark), stratified("batch"), new HashMap<>(), null);
    // 550 cells: 184 with b1 (every third), 366 without.
    assertThat(counts(split, "batch"))
        .containsEntry("b1", shares(184))
        .containsEntry("null", shares(366));
  }

  /** n cells dealt by the rule: train r < 0.8n + 1/2, validation r < 0.9n + 1/2, the rest test. */
  private static Map<String, Long> shares(int n) {
    long train = 0;
    long validation = 0;
    for (int r = 1; r <= n; r++) {
      double q = (r - 0.5) / n;
      if (q < 0.8) {
        train++;
      } else if (q < 0.8 + 0.1) {
        validation++;
      }
    }
    return split(train, validation, n - train - validation);
  }

  @Test
  void foldsHoldEachClassInEqualParts(SparkSession spark) {
    Map<String, Object> info = new LinkedHashMap<>();
    Dataset<Row> folded =
        LabelSplits.withFolds(spark, cells(spark), stratified("cell_type"), 5, info, null);
    Map<String, int[]> perFold = new TreeMap<>();
    Map<String, int[]> validationPerFold = new TreeMap<>();
    Map<String, Integer> sizes = new TreeMap<>();
    for (Row r : folded.select("cell_type", "_roles").collectAsList()) {
      List<String> roles = r.getList(1);
      assertThat(roles.stream().filter("test"::equals)).as("one test fold").hasSize(1);
      int[] f = perFold.computeIfAbsent(r.getString(0), k -> new int[5]);
      int[] v = validationPerFold.computeIfAbsent(r.getString(0), k -> new int[5]);
      f[roles.indexOf("test")]++;
      for (int k = 0; k < 5; k++) {
        v[k] += roles.get(k).equals("validation") ? 1 : 0;
      }
      sizes.merge(r.getString(0), 1, Integer::sum);
    }
    assertThat(perFold.get("A")).containsExactly(100, 100, 100, 100, 100);
    double share = 0.1 / 0.9; // validation's share of train + validation
    perFold.forEach(
        (c, f) -> {
          int n = sizes.get(c);
          for (int k = 0; k < 5; k++) {
            assertThat((double) f[k]).as(c + " fold " + k).isCloseTo(n / 5.0, within(1.0));
            // Validation cells are the class's validation share of the cells outside fold k,
            // dealt by class and fold: within a cell for each of the other four folds.
            int outside = n - f[k];
            assertThat((double) validationPerFold.get(c)[k])
                .as(c + " validation in fold " + k)
                .isCloseTo(share * outside, within(4.0));
          }
        });
    assertThat(info).containsEntry("strata", 4);
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  private static Map<String, String> splitOf(Dataset<Row> split) {
    Map<String, String> m = new HashMap<>();
    split
        .select("cell_id", "_split")
        .collectAsList()
        .forEach(r -> m.put(r.getString(0), r.getString(1)));
    return m;
  }

  @Test
  void whatStratifyingRefuses(SparkSession spark) {
    assertThatThrownBy(
            () ->
                LabelSplits.withSplit(
                    spark, cells(spark), stratified("tissue"), new HashMap<>(), null))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--stratify tissue: cells.parquet has no column tissue")
        .hasMessageContaining("cell_id, cell_type, batch");
    assertThatThrownBy(
            () ->
                FinetuneOptions.builder()
                    .input("t")
                    .label("cell_type")
                    .model("m")
                    .output("o")
                    .group("donor")
                    .stratify("cell_type")
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--stratify and --group / --split-groups: give one");
    Dataset<Row> many =
        spark
            .range(LabelSplits.MAX_STRATA + 1)
            .selectExpr("concat('c', id) AS cell_id", "'A' AS _label", "id AS serial");
    assertThatThrownBy(
            () -> LabelSplits.withSplit(spark, many, stratified("serial"), new HashMap<>(), null))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has 10001 values of serial");
  }
}
