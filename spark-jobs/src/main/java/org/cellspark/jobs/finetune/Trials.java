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
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.DataParallelStage;
import org.cellspark.jobs.common.NumberedPartitions;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.train.FineTuner;

/**
 * A fine-tune's trainings as Spark tasks: one, or one per unit (a --search trial, a --folds fold,
 * or a trial within a fold), each given every cell and trained at once on as many executors; then
 * the trial with the best validation metric kept (its model moved to model/, or to the fold's
 * folder in models/; trials.csv written). Shared by finetune and finetune-multitask. Unit u is fold
 * u / trials, trial u % trials.
 */
public final class Trials {
  /** The column holding a row's unit: the last of the rows a training task reads. */
  public static final String COLUMN = "_unit";

  private Trials() {}

  /** What a training task returns, as far as choosing among trials goes. */
  public interface Outcome {
    int trial();

    /** The cross-validation fold trained (0 without --folds). */
    default int fold() {
      return 0;
    }

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
  public static String modelLocation(String stagingLocation, int trials, int trial) {
    return modelLocation(stagingLocation, 0, trials, 0, trial);
  }

  /** Where a training writes its model, in the staging folder ({@link #modelPath}). */
  public static String modelLocation(
      String stagingLocation, int folds, int trials, int fold, int trial) {
    return stagingLocation + "/" + modelPath(folds, trials, fold, trial);
  }

  /**
   * A training's model folder, relative to the output: model/; with --search trials/trial-N/; with
   * --folds models/fold-F/ (F from 1); with both trials/fold-F/trial-N/. With one trial it is also
   * where a kept trial's model goes.
   */
  static String modelPath(int folds, int trials, int fold, int trial) {
    if (folds == 0) {
      return trials == 1 ? "model" : "trials/trial-" + trial;
    }
    return trials == 1
        ? "models/fold-" + (fold + 1)
        : "trials/fold-" + (fold + 1) + "/trial-" + trial;
  }

  /** The name of a unit's epoch states in the job's work folder; null: the job's own. */
  public static String checkpointName(int folds, int trials, int fold, int trial) {
    if (folds == 0) {
      return trials == 1 ? null : "trial-" + trial;
    }
    return "fold-" + (fold + 1) + (trials == 1 ? "" : "-trial-" + trial);
  }

  /**
   * Runs {@code task} over {@code rows} (the cells, without a trial column): one task holding every
   * row, or one per trial (trial t's copies of the rows in partition t). Each row reaches the task
   * with its trial number as its last column. The outcomes in trial order.
   */
  public static <T extends Outcome> List<T> run(
      SparkSession spark, Dataset<Row> rows, int trials, FlatMapFunction<Iterator<Row>, T> task) {
    if (trials == 1) {
      return sorted(
          rows.withColumn(COLUMN, functions.lit(0))
              .repartition(1)
              .toJavaRDD()
              .mapPartitions(task)
              .collect());
    }
    return runUnits(perUnit(spark, rows, trials), trials, task);
  }

  /**
   * As {@link #run(SparkSession, Dataset, int, FlatMapFunction)}, or, with {@code dataParallel}
   * above 1 (one trial), the one training on that many workers ({@link DataParallelStage}): the
   * rows of the train split ({@code _split}) to every worker, the others to worker 0.
   */
  public static <T extends Outcome> List<T> run(
      SparkSession spark,
      Dataset<Row> rows,
      int trials,
      int dataParallel,
      FlatMapFunction<Iterator<Row>, T> task,
      Class<T> type) {
    if (dataParallel == 1) {
      return run(spark, rows, trials, task);
    }
    if (trials != 1) {
      throw new IllegalArgumentException("data-parallel trials: the options refuse them");
    }
    return DataParallelStage.run(
        rows.withColumn(COLUMN, functions.lit(0)),
        col("_split").equalTo("train"),
        dataParallel,
        task,
        type);
  }

  /** {@code units} copies of the rows, each with its unit's number as its last column. */
  public static Dataset<Row> perUnit(SparkSession spark, Dataset<Row> rows, int units) {
    return rows.crossJoin(
        functions.broadcast(
            spark.range(units).select(col("id").cast(DataTypes.IntegerType).as(COLUMN))));
  }

  /**
   * Runs {@code task} once per unit, over the rows of {@link #perUnit} (unit u's in partition u,
   * dealt by {@link NumberedPartitions}); the outcomes by fold, then trial. Each task checks that
   * its rows are one unit's.
   */
  public static <T extends Outcome> List<T> runUnits(
      Dataset<Row> perUnit, int units, FlatMapFunction<Iterator<Row>, T> task) {
    Dataset<Row> dealt = NumberedPartitions.deal(perUnit, col(COLUMN), units);
    return sorted(dealt.toJavaRDD().mapPartitions(rows -> task.call(oneUnit(rows))).collect());
  }

  /** The rows, failing loudly should two units ever share a partition. */
  private static Iterator<Row> oneUnit(Iterator<Row> rows) {
    return new Iterator<>() {
      private int unit = -1;

      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row r = rows.next();
        int u = r.getInt(r.length() - 1);
        if (unit >= 0 && u != unit) {
          throw new IllegalStateException(
              "a training task was dealt the cells of units " + unit + " and " + u);
        }
        unit = u;
        return r;
      }
    };
  }

  private static <T extends Outcome> List<T> sorted(List<T> outcomes) {
    List<T> sorted = new ArrayList<>(outcomes);
    sorted.sort(Comparator.comparingInt(Outcome::fold).thenComparingInt(Outcome::trial));
    return sorted;
  }

  /**
   * The trial with the best validation metric (the first of equals); its model moved to model/, the
   * others' deleted, trials.csv written ({@code metricKey} naming the metric's column).
   */
  public static <T extends Outcome> T keepBest(
      List<T> outcomes,
      List<SettingsSearch.Trial> trials,
      SettingsSearch search,
      String metricKey,
      StagedOutput out,
      Configuration hadoop) {
    T best = best(outcomes);
    out.writeText("trials.csv", csv(outcomes, List.of(best), trials, search, metricKey, false));
    move(out, hadoop, modelPath(0, trials.size(), 0, best.trial()), modelPath(0, 1, 0, 0));
    deleteTrials(out, hadoop);
    return best;
  }

  /**
   * Each fold's best trial kept (its model moved to models/fold-F/, the others' deleted),
   * trials.csv written with a fold column; the kept outcomes, by fold.
   */
  public static <T extends Outcome> List<T> keepBestPerFold(
      List<T> outcomes,
      List<SettingsSearch.Trial> trials,
      SettingsSearch search,
      String metricKey,
      StagedOutput out,
      Configuration hadoop) {
    int folds = outcomes.size() / trials.size();
    List<T> kept = new ArrayList<>();
    for (int f = 0; f < folds; f++) {
      int fold = f;
      T best = best(outcomes.stream().filter(t -> t.fold() == fold).toList());
      move(
          out,
          hadoop,
          modelPath(folds, trials.size(), fold, best.trial()),
          modelPath(folds, 1, fold, 0));
      kept.add(best);
    }
    deleteTrials(out, hadoop);
    out.writeText("trials.csv", csv(outcomes, kept, trials, search, metricKey, true));
    return kept;
  }

  /** The outcome with the best validation metric (the first of equals). */
  private static <T extends Outcome> T best(List<T> outcomes) {
    T best = outcomes.get(0);
    for (T t : outcomes) {
      if (t.validationMetric() > best.validationMetric()) {
        best = t;
      }
    }
    return best;
  }

  private static String csv(
      List<? extends Outcome> outcomes,
      List<? extends Outcome> kept,
      List<SettingsSearch.Trial> trials,
      SettingsSearch search,
      String metricKey,
      boolean folds) {
    StringBuilder csv = new StringBuilder(folds ? "fold,trial" : "trial");
    List<String> searched = search.names();
    searched.forEach(name -> csv.append(',').append(name));
    csv.append(",best_epoch,validation_loss,").append(metricKey).append(",kept\n");
    for (Outcome t : outcomes) {
      if (folds) {
        csv.append(t.fold() + 1).append(',');
      }
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
              kept.stream().anyMatch(k -> k == t) ? "yes" : "no"));
    }
    return csv.toString();
  }

  /** The trials not kept: trials/ in the staging folder, deleted. */
  private static void deleteTrials(StagedOutput out, Configuration hadoop) {
    try {
      Path folder = new Path(out.stagingLocation());
      folder.getFileSystem(hadoop).delete(new Path(folder, "trials"), true);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot delete the trials not kept in %s: %s", out.targetLocation(), e.getMessage());
    }
  }

  /** A kept trial's model moved into place in the staging folder. */
  private static void move(StagedOutput out, Configuration hadoop, String from, String to) {
    try {
      Path folder = new Path(out.stagingLocation());
      FileSystem fs = folder.getFileSystem(hadoop);
      Path kept = new Path(folder, from);
      Path target = new Path(folder, to);
      fs.mkdirs(target.getParent());
      if (!fs.rename(kept, target)) {
        throw new IOException("cannot move " + kept + " to " + to);
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot keep the best trial's model in %s: %s", out.targetLocation(), e.getMessage());
    }
  }

  /**
   * The summary's search entry: how trials were made, each trial's values and score, the one kept.
   */
  public static Map<String, Object> summary(
      SettingsSearch search,
      List<SettingsSearch.Trial> trials,
      List<? extends Outcome> outcomes,
      Outcome kept,
      String metricKey) {
    Map<String, Object> m = summaryOf(search, trials, outcomes, metricKey, false);
    m.put("kept_trial", kept.trial());
    return m;
  }

  /** The same for a search in every fold: each trial's fold, and each fold's kept trial. */
  public static Map<String, Object> summaryPerFold(
      SettingsSearch search,
      List<SettingsSearch.Trial> trials,
      List<? extends Outcome> outcomes,
      List<? extends Outcome> kept,
      String metricKey) {
    Map<String, Object> m = summaryOf(search, trials, outcomes, metricKey, true);
    m.put("kept_trial_per_fold", kept.stream().map(Outcome::trial).toList());
    return m;
  }

  private static Map<String, Object> summaryOf(
      SettingsSearch search,
      List<SettingsSearch.Trial> trials,
      List<? extends Outcome> outcomes,
      String metricKey,
      boolean folds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.putAll(search.described());
    if (search.shortfall() != null) {
      m.put("note", search.shortfall());
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Outcome t : outcomes) {
      Map<String, Object> one = new LinkedHashMap<>();
      if (folds) {
        one.put("fold", t.fold() + 1);
      }
      one.put("trial", t.trial());
      one.put("values", trials.get(t.trial()).values());
      one.put("trained_on", t.trainedOn());
      one.put("best_epoch", t.bestEpoch());
      one.put(metricKey, t.validationMetric());
      rows.add(one);
    }
    m.put("trials", rows);
    return m;
  }
}
