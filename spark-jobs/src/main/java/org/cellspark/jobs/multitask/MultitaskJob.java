package org.cellspark.jobs.multitask;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.classify.ConfusionHeatmap;
import org.cellspark.jobs.classify.GroupSplits;
import org.cellspark.jobs.classify.LabelSplits;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.DataParallelStage;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ModelFingerprint;
import org.cellspark.jobs.common.PngBytes;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.PredictionColumns;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TrainingCurve;
import org.cellspark.jobs.finetune.Trials;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.MultiLabelledCells;
import org.cellspark.train.MultiTaskClassifier;
import org.cellspark.train.MultiTaskEvaluation;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark finetune-multitask}: upstream's {@code MTLClassifier}. One model fine-tuned for
 * several cell labels at once: a head per label column on one pooled vector, the tasks' losses
 * summed (each times its weight). Each task's classes are made as {@code finetune} makes a label's
 * (rare classes left out); a cell takes part when it has a class for at least one task, and counts
 * only for the tasks it has one for. One split for all tasks, dealt as {@code finetune} deals it
 * (by donor with --group). Training runs in one Spark task, on its executor's device, with
 * finetune's loop (its options, bf16, states and resume); with --search, one task per trial, the
 * best kept ({@link Trials}). Writes model/ (upstream's state dict names, in safetensors),
 * training.csv/.png, metrics.json, predictions/ (every task for every cell), a confusion matrix per
 * task, and the summary.
 */
public final class MultitaskJob {
  private static final Logger LOG = LoggerFactory.getLogger(MultitaskJob.class);

  private MultitaskJob() {}

  public static MultitaskResult run(SparkSession spark, MultitaskOptions options) {
    DataParallelStage.check(
        spark.sparkContext(), options.training().dataParallel(), "finetune-multitask");
    GroupSplits given =
        GroupSplits.read(options.splitGroups(), spark.sparkContext().hadoopConfiguration());
    return run(
        spark,
        given == null ? options : options.withGroup(given.groupColumn(options.group())),
        given);
  }

  /** With --split-groups read, and --group its column. */
  private static MultitaskResult run(SparkSession spark, MultitaskOptions o, GroupSplits given) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    TokenTable table = TokenTable.read(spark, o.input());
    String vocabularyLocation = vocabularyOf(table, o);
    Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
    ResolvedModel model = ResolvedModel.of(o.model());
    o.training().checkAgainst(model.config());
    DropoutRates dropout = o.training().dropoutRates(model.configFile());
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
    try (JobScope job = JobScope.start(sc, "cellspark finetune-multitask", out)) {
      // A cell of special tokens alone has no gene to pool: training on it would divide by zero.
      Dataset<Row> cells = CellSelection.withGenes(table.cells(), vocabulary);
      sc.setJobDescription("finetune-multitask: check the model against the tokens");
      ModelCheck.check(
          model.config(),
          o.model(),
          TokenProfiles.of(cells, "input_ids", "cell_id", vocabulary),
          EmbeddingSettings.of(
              -1,
              o.pool() == MultiTaskClassifier.Pool.CLS ? Pooling.CLS : Pooling.MEAN,
              o.training().batchTokens(),
              vocabulary));
      sc.setJobDescription("finetune-multitask: classes and splits");
      Map<String, List<String>> classes = new LinkedHashMap<>();
      Map<String, Object> classInfo = new LinkedHashMap<>();
      Dataset<Row> labelled = withTaskClasses(cells, o, classes, classInfo);
      long withoutClass =
          labelled.filter(org.apache.spark.sql.functions.not(anyTaskClass(o))).count();
      labelled = labelled.filter(anyTaskClass(o));
      Map<String, Object> splitInfo = new LinkedHashMap<>();
      Dataset<Row> split =
          LabelSplits.withSplit(
                  spark,
                  labelled,
                  LabelSplits.settings(String.join(",", o.tasks()), o.input(), o, given),
                  splitInfo,
                  out)
              .cache();
      try {
        requireTrainingAndValidationCells(split, o);
        Map<String, Object> options = options(o, vocabularyLocation, dropout);
        String plan = options + "\nmodel " + ModelFingerprint.of(model.path()) + "\n" + classes;
        List<SettingsSearch.Trial> trials = o.search().trials(o.training());
        if (o.search().shortfall() != null) {
          LOG.warn(o.search().shortfall());
        }
        List<MultitaskTrainingTask.Outcome> outcomes =
            train(spark, split, o, trials, vocabulary, classes, out, plan);
        MultitaskTrainingTask.Outcome trained =
            trials.size() == 1
                ? outcomes.get(0)
                : Trials.keepBest(
                    outcomes, trials, o.search(), "validation_mean_macro_f1", out, hadoop);
        String reported = trained.splits().get("test").ids().isEmpty() ? "validation" : "test";
        Map<String, Object> metrics = metricsMap(trained, classes);
        writeOutputs(spark, out, o, trained, classes, reported, metrics);
        double seconds = (System.nanoTime() - start) / 1e9;
        JobSummary summary =
            new JobSummary("finetune-multitask")
                .put("options", options)
                .put("tasks", classInfo)
                .put("cells_without_any_task_class", withoutClass)
                .put("split", splitInfo)
                .put("training", trainingMap(trained))
                .put(
                    "search",
                    trials.size() == 1
                        ? null
                        : Trials.summary(
                            o.search(), trials, outcomes, trained, "validation_mean_macro_f1"))
                .put("metrics", metrics)
                .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
        job.commit(out, summary);
        EpochCheckpoints.delete(out.targetLocation(), hadoop);
        MultiTaskEvaluation shown = trained.splits().get(reported).evaluation();
        Map<String, Double> accuracy = new LinkedHashMap<>();
        Map<String, Double> macroF1 = new LinkedHashMap<>();
        for (int t = 0; t < o.tasks().size(); t++) {
          accuracy.put(o.tasks().get(t), shown.tasks().get(t).accuracy());
          macroF1.put(o.tasks().get(t), shown.tasks().get(t).macroF1());
        }
        LOG.info(
            String.format(
                Locale.ROOT,
                "finetune-multitask: %s, %s macro-F1 %s after %d epoch(s) (%.1f s) to %s",
                o.tasks(),
                reported,
                macroF1,
                trained.epochs().size(),
                seconds,
                out.targetLocation()));
        return new MultitaskResult(
            out.targetLocation(),
            classes,
            reported,
            accuracy,
            macroF1,
            trained.epochs().size(),
            trained.bestEpoch(),
            seconds,
            summary.asMap());
      } finally {
        split.unpersist();
      }
    }
  }

  /** The column holding task {@code t}'s class (null: none, or one left out as rare). */
  private static String taskColumn(int t) {
    return "_task" + t;
  }

  private static Column anyTaskClass(MultitaskOptions o) {
    Column any = lit(false);
    for (int t = 0; t < o.tasks().size(); t++) {
      any = any.or(col(taskColumn(t)).isNotNull());
    }
    return any;
  }

  /**
   * Each task's classes, made as finetune makes a label's (two or more with enough cells), into
   * {@code classes}; the cells with a column per task holding their kept class or null.
   */
  private static Dataset<Row> withTaskClasses(
      Dataset<Row> cells,
      MultitaskOptions o,
      Map<String, List<String>> classes,
      Map<String, Object> info) {
    Dataset<Row> out = cells;
    long all = cells.count();
    for (int t = 0; t < o.tasks().size(); t++) {
      String task = o.tasks().get(t);
      Dataset<Row> labelled =
          cells
              .filter(col(task).isNotNull())
              .withColumn("_label", col(task).cast(DataTypes.StringType));
      LabelSplits.Classes kept =
          LabelSplits.Classes.of(
              labelled, all - labelled.count(), LabelSplits.settings(task, o.input(), o, null));
      List<String> names = kept.kept().stream().sorted().toList();
      classes.put(task, names);
      info.put(task, kept.asMap(names.toArray(new String[0])));
      Column value = col(task).cast(DataTypes.StringType);
      out = out.withColumn(taskColumn(t), when(value.isin(names.toArray()), value));
    }
    return out;
  }

  /** The table's columns checked, and its vocabulary: the option's, else its summary's. */
  private static String vocabularyOf(TokenTable table, MultitaskOptions o) {
    List<String> columns = Arrays.asList(table.cells().columns());
    CellSelection.requireColumn(
        columns, "cell_id", "finetune-multitask (predictions are keyed by cell_id)");
    for (String task : o.tasks()) {
      CellSelection.requireColumn(columns, task, "--tasks");
    }
    if (o.group() != null) {
      CellSelection.requireColumn(columns, o.group(), "--group");
    }
    return table.vocabulary(o.vocabulary(), o.input());
  }

  /**
   * Refused before the model is loaded: every task needs cells with its classes to train on and to
   * validate on.
   */
  private static void requireTrainingAndValidationCells(Dataset<Row> split, MultitaskOptions o) {
    List<Column> counts = new ArrayList<>();
    for (int t = 0; t < o.tasks().size(); t++) {
      counts.add(org.apache.spark.sql.functions.count(col(taskColumn(t))));
    }
    Map<String, long[]> perSplit = new LinkedHashMap<>();
    for (Row r :
        split
            .groupBy("_split")
            .agg(counts.get(0), counts.subList(1, counts.size()).toArray(new Column[0]))
            .collectAsList()) {
      long[] n = new long[o.tasks().size()];
      for (int t = 0; t < n.length; t++) {
        n[t] = r.getLong(1 + t);
      }
      perSplit.put(r.getString(0), n);
    }
    long[] none = new long[o.tasks().size()];
    for (int t = 0; t < o.tasks().size(); t++) {
      long train = perSplit.getOrDefault("train", none)[t];
      long validation = perSplit.getOrDefault("validation", none)[t];
      if (train == 0 || validation == 0) {
        throw UserException.of(
            "task %s of %s has %d training and %d validation cells with a class; every task needs"
                + " both: give more cells (or groups), a --split with larger train and validation"
                + " parts, or leave the task out of --tasks",
            o.tasks().get(t), o.input(), train, validation);
      }
    }
  }

  /**
   * Trains in one Spark task (the cells shuffled to a single partition, which the task reads into
   * memory and trains on), or with --search one per trial; each writes its model/ into the staging
   * folder and returns the numbers, in trial order.
   */
  private static List<MultitaskTrainingTask.Outcome> train(
      SparkSession spark,
      Dataset<Row> split,
      MultitaskOptions o,
      List<SettingsSearch.Trial> trials,
      Vocabulary vocabulary,
      Map<String, List<String>> classes,
      StagedOutput out,
      String plan) {
    int n = trials.size();
    int workers = o.training().dataParallel();
    spark
        .sparkContext()
        .setJobDescription(
            workers > 1
                ? "finetune-multitask: train (" + workers + " data-parallel tasks)"
                : n == 1
                    ? "finetune-multitask: train (one task)"
                    : "finetune-multitask: " + n + " trials, one task each");
    List<Column> columns = new ArrayList<>();
    columns.add(col("cell_id").cast(DataTypes.StringType));
    columns.add(col("input_ids"));
    columns.add(col("_split"));
    for (int t = 0; t < o.tasks().size(); t++) {
      columns.add(col(taskColumn(t)));
    }
    MultitaskTrainingTask task =
        new MultitaskTrainingTask(
            o,
            trials,
            classes,
            vocabulary.clsId().orElse(-1),
            vocabulary.eosId().orElse(-1),
            out.stagingLocation(),
            out.targetLocation(),
            plan,
            FaultInjection.trainingStop(spark),
            SparkJobs.hadoopConf(spark),
            workers > 1 ? DataParallelStage.secret() : null);
    Dataset<Row> rows = split.select(columns.toArray(new Column[0]));
    List<MultitaskTrainingTask.Outcome> outcomes =
        Trials.run(spark, rows, n, workers, task, MultitaskTrainingTask.Outcome.class);
    spark.sparkContext().setJobDescription(null);
    return outcomes;
  }

  /**
   * training.csv and .png, metrics.json, predictions/, each task's confusion matrix on the reported
   * split (CSV and PNG).
   */
  private static void writeOutputs(
      SparkSession spark,
      StagedOutput out,
      MultitaskOptions o,
      MultitaskTrainingTask.Outcome trained,
      Map<String, List<String>> classes,
      String reported,
      Map<String, Object> metrics) {
    out.writeText("training.csv", TrainingCurve.csv(trained.epochs(), "validation_mean_macro_f1"));
    out.writeBytes(
        "training.png",
        PngBytes.of(
            s ->
                TrainingCurve.write(
                    trained.epochs(),
                    "Multi-task fine-tuning on " + String.join(", ", o.tasks()),
                    "mean macro-F1",
                    s)));
    MultitaskTrainingTask.SplitResult shown = trained.splits().get(reported);
    int t = 0;
    for (Map.Entry<String, List<String>> task : classes.entrySet()) {
      String[] names = task.getValue().toArray(new String[0]);
      MultiTaskEvaluation.Task e = shown.evaluation().tasks().get(t);
      long[][] confusion = confusion(shown.labels()[t], e.predicted(), names.length);
      ConfusionHeatmap.writeFiles(
          out,
          "confusion_matrix_" + task.getKey(),
          confusion,
          names,
          task.getKey()
              + ": "
              + ConfusionHeatmap.title(reported, e.labelled(), e.accuracy(), e.macroF1()));
      t++;
    }
    out.writeText(
        "metrics.json",
        new JobSummary("finetune-multitask-metrics")
            .put("metrics", metrics)
            .put("classes", classes)
            .toJson());
    predictions(spark, trained, classes).write().parquet(out.stagingLocation() + "/predictions");
  }

  /** Counts of (class, predicted) over the cells with a class for the task. */
  private static long[][] confusion(int[] labels, int[] predicted, int classes) {
    long[][] m = new long[classes][classes];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] != MultiLabelledCells.UNLABELLED) {
        m[labels[i]][predicted[i]]++;
      }
    }
    return m;
  }

  /**
   * Every cell's split and, per task: its class (null: none), the predicted class, the confidence
   * and the class probabilities.
   */
  private static Dataset<Row> predictions(
      SparkSession spark,
      MultitaskTrainingTask.Outcome trained,
      Map<String, List<String>> classes) {
    List<List<String>> names = new ArrayList<>(classes.values());
    List<Row> rows = new ArrayList<>();
    trained
        .splits()
        .forEach(
            (split, r) -> {
              for (int i = 0; i < r.ids().size(); i++) {
                List<Object> row = new ArrayList<>();
                row.add(r.ids().get(i));
                row.add(split);
                for (int t = 0; t < names.size(); t++) {
                  MultiTaskEvaluation.Task e = r.evaluation().tasks().get(t);
                  int label = r.labels()[t][i];
                  row.add(label == MultiLabelledCells.UNLABELLED ? null : names.get(t).get(label));
                  row.addAll(
                      PredictionColumns.values(
                          names.get(t).get(e.predicted()[i]), e.probabilities()[i]));
                }
                rows.add(RowFactory.create(row.toArray()));
              }
            });
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType, false)
            .add("split", DataTypes.StringType, false);
    for (String task : classes.keySet()) {
      schema = PredictionColumns.add(schema.add(task, DataTypes.StringType, true), task);
    }
    return spark.createDataFrame(rows, schema);
  }

  /** Per split: its cells and loss, the tasks' mean macro-F1, and each task's scores. */
  private static Map<String, Object> metricsMap(
      MultitaskTrainingTask.Outcome trained, Map<String, List<String>> classes) {
    List<String> tasks = new ArrayList<>(classes.keySet());
    Map<String, Object> m = new LinkedHashMap<>();
    trained
        .splits()
        .forEach(
            (s, r) -> {
              if (r.evaluation() != null) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("cells", r.ids().size());
                one.put("loss", r.evaluation().loss());
                one.put("mean_macro_f1", r.evaluation().meanMacroF1());
                Map<String, Object> byTask = new LinkedHashMap<>();
                for (int t = 0; t < tasks.size(); t++) {
                  MultiTaskEvaluation.Task e = r.evaluation().tasks().get(t);
                  Map<String, Object> task = new LinkedHashMap<>();
                  task.put("cells", e.labelled());
                  task.put("accuracy", e.accuracy());
                  task.put("macro_f1", e.macroF1());
                  byTask.put(tasks.get(t), task);
                }
                one.put("tasks", byTask);
                m.put(s, one);
              }
            });
    return m;
  }

  private static Map<String, Object> trainingMap(MultitaskTrainingTask.Outcome t) {
    Map<String, Object> m =
        TrainingCurve.summary(
            t.epochs(),
            t.bestEpoch(),
            t.resumedFrom(),
            "validation_mean_macro_f1",
            t.gradientSeconds());
    m.put("class_weights", t.classWeights());
    m.put("trained_on", t.trainedOn());
    return m;
  }

  private static Map<String, Object> options(
      MultitaskOptions o, String vocabulary, DropoutRates dropout) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("tasks", o.tasks());
    m.put("task_weights", Arrays.stream(o.taskWeights()).boxed().toList());
    m.put("group", o.group());
    m.put("split_groups", o.splitGroups());
    if (!o.balance().isEmpty()) {
      m.put("balance", o.balance());
    }
    if (o.stratify() != null) {
      m.put("stratify", o.stratify());
    }
    m.put("model", o.model());
    m.put("vocabulary", vocabulary);
    m.put("pooling", o.pool().name().toLowerCase(Locale.ROOT));
    o.training().describe(m, dropout);
    m.put("split", Arrays.stream(o.fractions()).boxed().toList());
    m.put("min_class_size", o.minClassSize());
    m.put("rare_threshold", o.rareThreshold());
    m.put("seed", o.seed());
    if (!o.search().isEmpty()) {
      m.put("search", o.search().described());
    }
    return m;
  }
}
