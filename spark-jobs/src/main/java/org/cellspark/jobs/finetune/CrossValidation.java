package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.jobs.classify.FoldScores;
import org.cellspark.jobs.classify.LabelSplits;
import org.cellspark.jobs.classify.RocCurves;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.train.Evaluation;
import org.cellspark.train.FineTuner;

/**
 * {@code finetune --folds K}: the cell classifier cross-validated, as upstream's {@code
 * Classifier.validate} with {@code num_crossval_splits=5}. The labelled cells (or whole groups) are
 * dealt into K folds ({@link org.cellspark.jobs.classify.LabelSplits#withFolds}); fold f's model
 * trains on the other folds' training part, keeps the epoch with the best macro-F1 on their
 * validation part, and is tested on fold f, which it never saw. Each fold (with --search, each
 * trial in each fold) is a Spark task of its own, so the folds train at once on as many executors.
 * Every labelled cell is tested exactly once: predictions/ holds its out-of-fold prediction. Writes
 * models/fold-F/, predictions/, folds.csv, training.csv, metrics.json, the pooled test confusion
 * matrix, and for two classes the folds' ROC curves.
 */
final class CrossValidation {
  private static final String METRIC = "validation_macro_f1";

  /** What the job reports: the folds' scores, their kept trainings, the summary's entries. */
  record Result(
      FoldScores scores,
      List<TrainingTask.Outcome> kept,
      Map<String, Object> metrics,
      Map<String, Object> search) {}

  private CrossValidation() {}

  /**
   * Trains and scores the folds.
   *
   * @param folded the labelled cells with _label and _roles ({@code LabelSplits.withFolds})
   * @param task the training task (for --folds K and the trials)
   * @param splitInfo the summary's split entry, to which each fold's cells are added
   */
  static Result run(
      SparkSession spark,
      Dataset<Row> folded,
      FinetuneOptions o,
      List<SettingsSearch.Trial> trials,
      List<String> names,
      TrainingTask task,
      Map<String, Object> splitInfo,
      StagedOutput out,
      Configuration hadoop) {
    int folds = o.folds();
    spark.sparkContext().setJobDescription("finetune: cells of each fold");
    LabelSplits.requireCellsInEveryFold(
        folded, o.folds(), o.label(), o.input(), o.group(), splitInfo);
    spark
        .sparkContext()
        .setJobDescription(
            "finetune: "
                + folds
                + " folds"
                + (trials.size() == 1 ? "" : " x " + trials.size() + " trials")
                + ", one task each");
    List<TrainingTask.Outcome> outcomes = runUnits(spark, folded, folds, trials.size(), task);
    spark.sparkContext().setJobDescription(null);
    List<TrainingTask.Outcome> kept =
        trials.size() == 1
            ? outcomes
            : Trials.keepBestPerFold(outcomes, trials, o.search(), METRIC, out, hadoop);
    FoldScores scores = new FoldScores(names);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    for (TrainingTask.Outcome f : kept) {
      TrainingTask.SplitResult test = f.splits().get("test");
      Evaluation e = test.evaluation();
      scores.add(
          sc, f.fold(), test.labels(), e.predicted(), e.probabilities(), e.accuracy(), e.macroF1());
    }
    Map<String, Object> metrics = metrics(scores, kept);
    write(spark, out, o, names, kept, scores, metrics);
    return new Result(
        scores,
        kept,
        metrics,
        trials.size() == 1
            ? null
            : Trials.summaryPerFold(o.search(), trials, outcomes, kept, METRIC));
  }

  /**
   * Every cell to each unit (fold f, trial t: unit f x trials + t), with its part in the unit's
   * fold as the split column; the outcomes by fold, then trial.
   */
  static <T extends Trials.Outcome> List<T> runUnits(
      SparkSession spark,
      Dataset<Row> folded,
      int folds,
      int trials,
      FlatMapFunction<Iterator<Row>, T> task) {
    Dataset<Row> rows =
        folded.select(
            col("cell_id").cast(DataTypes.StringType).as("cell_id"),
            col("input_ids"),
            col("_label"),
            col("_roles"));
    Dataset<Row> perUnit =
        Trials.perUnit(spark, rows, folds * trials)
            .select(
                col("cell_id"),
                col("input_ids"),
                col("_label"),
                expr("element_at(_roles, CAST("
                        + Trials.COLUMN
                        + " div "
                        + trials
                        + " AS INT) + 1)")
                    .as("_split"),
                col(Trials.COLUMN));
    return Trials.runUnits(perUnit, folds * trials, task);
  }

  /** metrics.json's and the summary's metrics: the test scores over the folds, each fold's. */
  private static Map<String, Object> metrics(FoldScores scores, List<TrainingTask.Outcome> kept) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("test", scores.asMap());
    List<Map<String, Object>> each = new ArrayList<>();
    for (TrainingTask.Outcome f : kept) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("fold", f.fold() + 1);
      one.put("trial", f.trial());
      one.put("trained_on", f.trainedOn());
      one.put("epochs_run", f.epochs().size());
      one.put("best_epoch", f.bestEpoch());
      one.put("resumed_after_epoch", f.resumedFrom());
      one.put("class_weights", f.classWeights());
      for (String part : List.of("validation", "test")) {
        Map<String, Object> s = f.splits().get(part).scores();
        RocCurves.Curve curve = scores.curveOf(f.fold());
        if (part.equals("test") && curve != null) {
          s.put("roc_auc", curve.auc());
        }
        one.put(part, s);
      }
      each.add(one);
    }
    m.put("folds", each);
    return m;
  }

  private static void write(
      SparkSession spark,
      StagedOutput out,
      FinetuneOptions o,
      List<String> names,
      List<TrainingTask.Outcome> kept,
      FoldScores scores,
      Map<String, Object> metrics) {
    scores.write(out, "test cells");
    out.writeText("folds.csv", foldsCsv(kept, scores));
    Map<Integer, List<FineTuner.Epoch>> epochs = new LinkedHashMap<>();
    kept.forEach(f -> epochs.put(f.fold() + 1, f.epochs()));
    out.writeText("training.csv", TrainingCurve.csvByFold(epochs, METRIC));
    out.writeText(
        "metrics.json",
        new JobSummary("finetune-metrics").put("metrics", metrics).put("classes", names).toJson());
    predictions(spark, kept, names, o).write().parquet(out.stagingLocation() + "/predictions");
  }

  /** folds.csv: a line per fold and part (validation, test) with its scores. */
  private static String foldsCsv(List<TrainingTask.Outcome> kept, FoldScores scores) {
    StringBuilder csv =
        new StringBuilder("fold,split,cells,accuracy,macro_f1,loss,roc_auc,best_epoch\n");
    for (TrainingTask.Outcome f : kept) {
      RocCurves.Curve curve = scores.curveOf(f.fold());
      for (String part : List.of("validation", "test")) {
        TrainingTask.SplitResult r = f.splits().get(part);
        csv.append(
            String.format(
                Locale.ROOT,
                "%d,%s,%d,%.6f,%.6f,%.6f,%s,%d%n",
                f.fold() + 1,
                part,
                r.ids().size(),
                r.evaluation().accuracy(),
                r.evaluation().macroF1(),
                r.evaluation().loss(),
                part.equals("test") && curve != null
                    ? String.format(Locale.ROOT, "%.6f", curve.auc())
                    : "",
                f.bestEpoch()));
      }
    }
    return csv.toString();
  }

  /**
   * Every labelled cell once: its fold, class, and the prediction of the model that held it out.
   */
  private static Dataset<Row> predictions(
      SparkSession spark, List<TrainingTask.Outcome> kept, List<String> names, FinetuneOptions o) {
    List<Row> rows = new ArrayList<>();
    for (TrainingTask.Outcome f : kept) {
      PredictionColumns.addRows(rows, f.splits().get("test"), names, f.fold() + 1);
    }
    StructType schema = PredictionColumns.cellTable(o.label(), "fold", DataTypes.IntegerType);
    return spark.createDataFrame(rows, schema);
  }
}
