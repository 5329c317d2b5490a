package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.train.FineTuner;
import scala.Tuple2;

/**
 * A fine-tune's trainings as Spark tasks: one, or with --search one per trial, each given every
 * cell and trained at once on as many executors; then the trial with the best validation metric
 * kept (its model moved to model/, trials.csv written). Shared by finetune and finetune-multitask.
 */
public final class Trials {
  /** The column holding a row's trial number: the last of the rows a training task reads. */
  public static final String COLUMN = "_trial";

  private Trials() {}

  /** What a training task returns, as far as choosing among trials goes. */
  public interface Outcome {
    int trial();

    /** The executor and device that trained it. */
    String trainedOn();

    List<FineTuner.Epoch> epochs();

    int bestEpoch();

    /** The kept epoch's validation metric: what trials are compared by. */
    default double validationMetric() {
      return bestEpoch() == 0 ? Double.NaN : epochs().get(bestEpoch() - 1).validationMetric();
    }
  }

  /** Where a training writes model/: the job's, or with a search a folder per trial. */
  public static String modelUri(String stagingUri, int trials, int trial) {
    return stagingUri + (trials == 1 ? "/model" : "/trials/trial-" + trial);
  }

  /**
   * Runs {@code task} over {@code rows} (the cells, without a trial column): one task holding every
   * row, or one per trial (trial t's copies of the rows in partition t). Each row reaches the task
   * with its trial number as its last column. The outcomes in trial order.
   */
  public static <T extends Outcome> List<T> run(
      SparkSession spark, Dataset<Row> rows, int trials, FlatMapFunction<Iterator<Row>, T> task) {
    List<T> outcomes;
    if (trials == 1) {
      outcomes =
          rows.withColumn(COLUMN, org.apache.spark.sql.functions.lit(0))
              .repartition(1)
              .toJavaRDD()
              .mapPartitions(task)
              .collect();
    } else {
      Dataset<Row> perTrial =
          rows.crossJoin(
              org.apache.spark.sql.functions.broadcast(
                  spark.range(trials).select(col("id").cast(DataTypes.IntegerType).as(COLUMN))));
      outcomes =
          perTrial
              .toJavaRDD()
              .mapToPair(r -> new Tuple2<>(r.getInt(r.length() - 1), r))
              .partitionBy(new HashPartitioner(trials))
              .values()
              .mapPartitions(task)
              .collect();
    }
    List<T> sorted = new ArrayList<>(outcomes);
    sorted.sort(Comparator.comparingInt(Outcome::trial));
    return sorted;
  }

  /**
   * The trial with the best validation metric (the first of equals); its model moved to model/, the
   * others' deleted, trials.csv written ({@code metricKey} naming the metric's column).
   */
  public static <T extends Outcome> T keepBest(
      List<T> outcomes,
      List<SearchGrid.Trial> trials,
      SearchGrid grid,
      String metricKey,
      StagedOutput out,
      Configuration hadoop) {
    T best = outcomes.get(0);
    for (T t : outcomes) {
      if (t.validationMetric() > best.validationMetric()) {
        best = t;
      }
    }
    StringBuilder csv = new StringBuilder("trial");
    List<String> searched = new ArrayList<>(grid.values().keySet());
    searched.forEach(name -> csv.append(',').append(name));
    csv.append(",best_epoch,validation_loss,").append(metricKey).append(",kept\n");
    for (T t : outcomes) {
      csv.append(t.trial());
      for (String name : searched) {
        csv.append(',').append(trials.get(t.trial()).values().get(name));
      }
      FineTuner.Epoch e = t.epochs().get(t.bestEpoch() - 1);
      csv.append(
          String.format(
              Locale.ROOT,
              ",%d,%.6f,%.6f,%s%n",
              t.bestEpoch(),
              e.validationLoss(),
              e.validationMetric(),
              t.trial() == best.trial() ? "yes" : "no"));
    }
    out.writeText("trials.csv", csv.toString());
    try {
      Path folder = new Path(out.stagingUri());
      FileSystem fs = folder.getFileSystem(hadoop);
      Path kept = new Path(folder, "trials/trial-" + best.trial());
      if (!fs.rename(kept, new Path(folder, "model"))) {
        throw new IOException("cannot move " + kept + " to model/");
      }
      fs.delete(new Path(folder, "trials"), true);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot keep the best trial's model in %s: %s", out.targetUri(), e.getMessage());
    }
    return best;
  }

  /** The summary's search entry: the grid, each trial's values and score, the one kept. */
  public static Map<String, Object> summary(
      SearchGrid grid,
      List<SearchGrid.Trial> trials,
      List<? extends Outcome> outcomes,
      Outcome kept,
      String metricKey) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("grid", grid.values());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Outcome t : outcomes) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("trial", t.trial());
      one.put("values", trials.get(t.trial()).values());
      one.put("trained_on", t.trainedOn());
      one.put("best_epoch", t.bestEpoch());
      one.put(metricKey, t.validationMetric());
      rows.add(one);
    }
    m.put("trials", rows);
    m.put("kept_trial", kept.trial());
    return m;
  }
}
