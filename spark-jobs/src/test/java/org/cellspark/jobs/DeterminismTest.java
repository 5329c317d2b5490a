package org.cellspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.perturb.PerturbJob;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.jobs.perturb.PerturbResult;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same input gives the same output whatever the partitioning and on every rerun: tokenize row
 * for row (after sorting by cell), perturb within 1e-5 (embed's own test covers it: one vs seven
 * partitions; perturb's covers resume).
 */
@ExtendWith(SharedSpark.class)
class DeterminismTest {
  @TempDir Path tmp;

  private String tokenize(SparkSession spark, int partitions, String out) {
    return TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(Fixtures.atlas("classify_atlas.h5ad").toString())
                .vocabulary("builtin:geneformer-v1")
                .minGeneMatch(0.1)
                .attribute("cell_type")
                .partitions(partitions)
                .output(tmp.resolve(out).toString())
                .build())
        .output();
  }

  private static List<Row> sorted(SparkSession spark, String folder, String... columns) {
    return spark
        .read()
        .parquet(folder)
        .selectExpr(columns)
        .orderBy(columns[0], columns.length > 1 ? columns[1] : columns[0])
        .collectAsList();
  }

  @Test
  void tokenizeGivesTheSameRowsForAnyPartitioningAndOnRerun(SparkSession spark) {
    String one = tokenize(spark, 1, "p1");
    List<Row> expected =
        sorted(spark, one, "cell_id", "input_ids", "length", "n_counts", "cell_type");
    assertThat(expected).hasSize(600);
    for (int partitions : new int[] {3, 7}) {
      assertThat(
              sorted(
                  spark,
                  tokenize(spark, partitions, "p" + partitions),
                  "cell_id",
                  "input_ids",
                  "length",
                  "n_counts",
                  "cell_type"))
          .as("%d partitions", partitions)
          .isEqualTo(expected);
    }
    assertThat(
            sorted(
                spark,
                tokenize(spark, 1, "rerun"),
                "cell_id",
                "input_ids",
                "length",
                "n_counts",
                "cell_type"))
        .isEqualTo(expected);
  }

  @Test
  void perturbGivesTheSameShiftsForAnyNumberOfTasks(SparkSession spark) {
    String tokens = tokenize(spark, 0, "tokens");
    String model =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
            .toString();
    Map<String, Double> first = null;
    for (int tasks : new int[] {1, 5}) {
      PerturbResult r =
          PerturbJob.run(
              spark,
              PerturbOptions.builder()
                  .input(tokens)
                  .model(model)
                  .output(tmp.resolve("screen" + tasks).toString())
                  .type(PerturbationType.DELETE)
                  .maxCells(6)
                  .partitions(tasks)
                  .build());
      Map<String, Double> shifts =
          spark
              .read()
              .parquet(r.output() + "/cell_shifts")
              .selectExpr(
                  "concat(cell_id, '/', cast(perturbed_tokens as string))", "cosine_similarity")
              .collectAsList()
              .stream()
              .collect(Collectors.toMap(x -> x.getString(0), x -> x.getDouble(1)));
      assertThat(shifts).isNotEmpty();
      if (first == null) {
        first = shifts;
      } else {
        assertThat(shifts.keySet()).isEqualTo(first.keySet());
        for (Map.Entry<String, Double> e : shifts.entrySet()) {
          assertThat(e.getValue())
              .as(e.getKey())
              .isCloseTo(first.get(e.getKey()), org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
  }
}
