package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.collective.Collective;
import org.cellspark.spark.DataParallelWorkers;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The barrier stage a data-parallel training runs as: every worker a task of one barrier stage,
 * given a copy of every row the predicate holds for (the training cells), worker 0 the others too;
 * the rows as they were, without the dealing's columns.
 */
@ExtendWith(SharedSpark.class)
class DataParallelStageTest {
  /**
   * What a worker was dealt: its partition, the barrier's task count, its rows' IDs and columns.
   */
  record Dealt(int partition, int tasks, List<Long> ids, List<String> columns)
      implements Serializable {}

  private static final class Report implements FlatMapFunction<Iterator<Row>, Dealt> {
    @Override
    public Iterator<Dealt> call(Iterator<Row> rows) {
      BarrierTaskContext task = BarrierTaskContext.get();
      List<Long> ids = new ArrayList<>();
      List<String> columns = List.of();
      while (rows.hasNext()) {
        Row r = rows.next();
        ids.add(r.getLong(0));
        columns = List.of(r.schema().fieldNames());
      }
      task.barrier(); // every worker's task runs at once, or this never returns
      return List.of(new Dealt(task.partitionId(), task.getTaskInfos().length, ids, columns))
          .iterator();
    }
  }

  /**
   * Worker 0 fails as a training task does when its batch fails: its ring closes as it ends, a
   * moment before its failure reaches the driver (here a second, so that the order is not left to
   * chance). Worker 1, in a sum, loses its ring at once.
   */
  private static final class WorkerZeroFails implements FlatMapFunction<Iterator<Row>, Dealt> {
    private final byte[] secret = DataParallelStage.secret();

    @Override
    public Iterator<Dealt> call(Iterator<Row> rows) throws Exception {
      Collective ring = DataParallelWorkers.join(secret).ring();
      try {
        ring.sum(new double[] {1});
        if (ring.rank() == 0) {
          ring.close();
          Thread.sleep(1000);
          throw new IllegalStateException("worker 0's batch failed");
        }
        ring.sum(new double[] {2});
      } finally {
        ring.close();
      }
      return List.<Dealt>of().iterator();
    }
  }

  /** Worker 0 fails in the stage's first attempt (a lost executor); returns the attempt. */
  private static final class WorkerZeroLostOnce implements FlatMapFunction<Iterator<Row>, Integer> {
    @Override
    public Iterator<Integer> call(Iterator<Row> rows) {
      BarrierTaskContext task = BarrierTaskContext.get();
      task.barrier();
      if (task.partitionId() != 0) {
        return List.<Integer>of().iterator();
      }
      if (task.stageAttemptNumber() == 0) {
        throw new IllegalStateException("worker 0's executor was lost");
      }
      return List.of(task.stageAttemptNumber()).iterator();
    }
  }

  @Test
  void sparkRunsEveryWorkerAgainWhenOneFails(SparkSession spark) {
    Dataset<Row> rows = spark.range(4).toDF();
    assertThat(
            DataParallelStage.run(
                rows, col("id").geq(0), 2, new WorkerZeroLostOnce(), Integer.class))
        .as("worker 0's result, from the stage's second attempt")
        .containsExactly(1);
  }

  @Test
  void theJobFailsWithTheWorkersCauseNotTheRingItBroke(SparkSession spark) {
    Dataset<Row> rows = spark.range(4).toDF();
    assertThatThrownBy(
            () ->
                DataParallelStage.run(
                    rows, col("id").geq(0), 2, new WorkerZeroFails(), Dealt.class))
        .hasMessageContaining("worker 0's batch failed")
        .hasMessageNotContaining("lost its ring");
  }

  @Test
  void everyWorkerGetsTheSharedRowsAndWorkerZeroTheRest(SparkSession spark) {
    Dataset<Row> rows =
        spark
            .range(30)
            .select(
                col("id"), col("id").mod(3).notEqual(0).cast(DataTypes.StringType).as("shared"));
    List<Dealt> dealt =
        new ArrayList<>(
            DataParallelStage.run(
                rows, col("shared").equalTo("true"), 2, new Report(), Dealt.class));
    dealt.sort(java.util.Comparator.comparingInt(Dealt::partition));
    assertThat(dealt).extracting(Dealt::partition).containsExactly(0, 1);
    assertThat(dealt).allMatch(d -> d.tasks() == 2);
    List<Long> shared = new ArrayList<>();
    List<Long> all = new ArrayList<>();
    for (long i = 0; i < 30; i++) {
      all.add(i);
      if (i % 3 != 0) {
        shared.add(i);
      }
    }
    assertThat(dealt.get(0).ids()).containsExactlyInAnyOrderElementsOf(all);
    assertThat(dealt.get(1).ids()).containsExactlyInAnyOrderElementsOf(shared);
    assertThat(dealt.get(0).columns()).containsExactly("id", "shared");
  }
}
