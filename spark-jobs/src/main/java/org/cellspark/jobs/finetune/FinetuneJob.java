package org.cellspark.jobs.finetune;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.jobs.classify.ConfusionHeatmap;
import org.cellspark.jobs.classify.FoldScores;
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
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.Evaluation;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark finetune}: the whole model fine-tuned for a cell label, with a linear head on
 * the mean of the gene tokens' last hidden states (or on {@code <cls>}). The label's classes and
 * the donor-whole splits are made as {@code classify} makes them; the cells of each split are
 * gathered into one Spark task, which trains on its executor's device through the same TorchScript
 * program inference uses (with --search, one task per trial, the best kept: {@link Trials}). Writes
 * model/ (a Hugging Face sequence-classification folder), training.csv (loss and macro-F1 per
 * epoch), metrics.json, predictions/, confusion_matrix.csv and .png, trials.csv after a search, and
 * the summary.
 */
public final class FinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

  private FinetuneJob() {}

  /**
   * Trains in one Spark task (on its executor's GPU, or CPU): the labelled cells are shuffled to a
   * single partition, which the task reads into memory and trains on for every epoch; it writes
   * model/ into the staging folder and returns the numbers. With --search, one task per trial, each
   * given every cell (the trials run at once on as many executors), its model in trials/trial-N/;
   * the outcomes in trial order.
   */
  private static List<TrainingTask.Outcome> train(
      SparkSession spark,
      Dataset<Row> split,
      FinetuneOptions o,
      List<SettingsSearch.Trial> trials,
      Vocabulary vocabulary,
      List<String> names,
      StagedOutput out,
      String plan) {
    int n = trials.size();
    int workers = o.training().dataParallel();
    spark
        .sparkContext()
        .setJobDescription(
            workers > 1
                ? "finetune: train (" + workers + " data-parallel tasks)"
                : n == 1
                    ? "finetune: train (one task)"
                    : "finetune: " + n + " trials, one task each");
    Dataset<Row> rows =
        split.select(
            col("cell_id").cast(DataTypes.StringType),
            col("input_ids"),
            col("_label"),
            col("_split"));
    TrainingTask task = task(spark, o, trials, vocabulary, names, out, plan);
    List<TrainingTask.Outcome> outcomes =
        Trials.run(spark, rows, n, workers, task, TrainingTask.Outcome.class);
    spark.sparkContext().setJobDescription(null);
    return outcomes;
  }

  private static TrainingTask task(
      SparkSession spark,
      FinetuneOptions o,
      List<SettingsSearch.Trial> trials,
      Vocabulary vocabulary,
      List<String> names,
      StagedOutput out,
      String plan) {
    return new TrainingTask(
        o,
        trials,
        o.folds(),
        names,
        vocabulary.clsId().orElse(-1),
        vocabulary.eosId().orElse(-1),
        out.stagingLocation(),
        out.targetLocation(),
        plan,
        FaultInjection.trainingStop(spark),
        SparkJobs.hadoopConf(spark),
        o.training().dataParallel() > 1 ? DataParallelStage.secret() : null);
  }

  /** The best trial kept (model/, trials.csv), and said on the log. */
  private static TrainingTask.Outcome keepBest(
      List<TrainingTask.Outcome> outcomes,
      List<SettingsSearch.Trial> trials,
      FinetuneOptions o,
      StagedOutput out,
      Configuration hadoop) {
    TrainingTask.Outcome best =
        Trials.keepBest(outcomes, trials, o.search(), "validation_macro_f1", out, hadoop);
    LOG.info(
        String.format(
            Locale.ROOT,
            "finetune: %d trials; kept trial %d %s (validation macro-F1 %.4f)",
            outcomes.size(),
            best.trial(),
            trials.get(best.trial()).values(),
            best.validationMetric()));
    return best;
  }

  public static FinetuneResult run(SparkSession spark, FinetuneOptions options) {
    DataParallelStage.check(spark.sparkContext(), options.training().dataParallel(), "finetune");
    GroupSplits given =
        GroupSplits.read(options.splitGroups(), spark.sparkContext().hadoopConfiguration());
    return run(
        spark,
        given == null
            ? options
            : options.toBuilder().group(given.groupColumn(options.group())).build(),
        given);
  }

  /** With --split-groups read, and --group its column. */
  private static FinetuneResult run(SparkSession spark, FinetuneOptions o, GroupSplits given) {
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
    try (JobScope job = JobScope.start(sc, "cellspark finetune", out)) {
      // A cell of special tokens alone has no gene to pool: training on it would divide by zero.
      Dataset<Row> cells = o.sample().filter(CellSelection.withGenes(table.cells(), vocabulary));
      checkModel(spark, cells, model, vocabulary, o);
      sc.setJobDescription("finetune: classes and splits");
      LabelSplits.Settings labels = LabelSplits.settings(o.label(), o.input(), o, given);
      Dataset<Row> labelled =
          cells
              .filter(col(o.label()).isNotNull())
              .withColumn("_label", col(o.label()).cast(DataTypes.StringType));
      LabelSplits.Classes classes =
          LabelSplits.Classes.of(labelled, cells.count() - labelled.count(), labels);
      labelled = labelled.filter(col("_label").isin(classes.kept().toArray()));
      Map<String, Object> splitInfo = new LinkedHashMap<>();
      labelled = o.sample().sample(labelled, "_label", o.seed(), splitInfo);
      List<String> names = classes.kept().stream().sorted().toList();
      Map<String, Object> options = options(o, vocabularyLocation, dropout);
      String plan = options + "\nmodel " + ModelFingerprint.of(model.path()) + "\nclasses " + names;
      List<SettingsSearch.Trial> trials = o.search().trials(o.training());
      if (o.search().shortfall() != null) {
        LOG.warn(o.search().shortfall());
      }
      if (o.folds() > 0) {
        Dataset<Row> folded =
            LabelSplits.withFolds(spark, labelled, labels, o.folds(), splitInfo, out);
        CrossValidation.Result cv =
            CrossValidation.run(
                spark,
                folded,
                o,
                trials,
                names,
                task(spark, o, trials, vocabulary, names, out, plan),
                splitInfo,
                out,
                hadoop);
        JobSummary summary =
            new JobSummary("finetune")
                .put("options", options)
                .put("classes", classes.asMap(names.toArray(new String[0])))
                .put("split", splitInfo)
                .put("search", cv.search())
                .put("metrics", cv.metrics());
        return finish(job, out, hadoop, o, summary, start, names, cv);
      }
      Dataset<Row> split = LabelSplits.withSplit(spark, labelled, labels, splitInfo, out);
      requireTrainingAndValidationCells(LabelSplits.cellsPerSplit(split, splitInfo), o);
      List<TrainingTask.Outcome> outcomes =
          train(spark, split, o, trials, vocabulary, names, out, plan);
      TrainingTask.Outcome trained =
          trials.size() == 1 ? outcomes.get(0) : keepBest(outcomes, trials, o, out, hadoop);
      String reported = trained.splits().get("test").ids().isEmpty() ? "validation" : "test";
      Evaluation shown = trained.splits().get(reported).evaluation();
      writeOutputs(spark, out, o, trained, names, reported);
      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          new JobSummary("finetune")
              .put("options", options)
              .put("classes", classes.asMap(names.toArray(new String[0])))
              .put("split", splitInfo)
              .put("training", trainingMap(trained))
              .put(
                  "search",
                  trials.size() == 1
                      ? null
                      : Trials.summary(
                          o.search(), trials, outcomes, trained, "validation_macro_f1"))
              .put("metrics", metricsMap(trained))
              .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
      job.commit(out, summary);
      EpochCheckpoints.delete(out.targetLocation(), hadoop);
      LOG.info(
          String.format(
              Locale.ROOT,
              "finetune: %s, %s macro-F1 %.3f after %d epoch(s) (%.1f s) to %s",
              o.label(),
              reported,
              shown.macroF1(),
              trained.epochs().size(),
              seconds,
              out.targetLocation()));
      return new FinetuneResult(
          out.targetLocation(),
          names,
          reported,
          shown.accuracy(),
          shown.macroF1(),
          trained.epochs().size(),
          trained.bestEpoch(),
          seconds,
          0,
          0,
          Double.NaN,
          summary.asMap());
    }
  }

  /** A cross-validation's end: the summary committed, the epoch states gone, the result. */
  private static FinetuneResult finish(
      JobScope job,
      StagedOutput out,
      Configuration hadoop,
      FinetuneOptions o,
      JobSummary summary,
      long start,
      List<String> names,
      CrossValidation.Result cv) {
    double seconds = (System.nanoTime() - start) / 1e9;
    summary.put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
    job.commit(out, summary);
    EpochCheckpoints.delete(out.targetLocation(), hadoop);
    FoldScores scores = cv.scores();
    LOG.info(
        String.format(
            Locale.ROOT,
            "finetune: %s, %d folds, test macro-F1 %.3f ± %.3f (%.1f s) to %s",
            o.label(),
            o.folds(),
            scores.macroF1().getMean(),
            FoldScores.sd(scores.macroF1()),
            seconds,
            out.targetLocation()));
    return new FinetuneResult(
        out.targetLocation(),
        names,
        "test, " + o.folds() + " folds",
        scores.accuracy().getMean(),
        scores.macroF1().getMean(),
        cv.kept().stream().mapToInt(f -> f.epochs().size()).max().orElse(0),
        0,
        seconds,
        o.folds(),
        FoldScores.sd(scores.macroF1()),
        scores.meanRocAuc(),
        summary.asMap());
  }

  /** The table's columns checked, and its vocabulary: the option's, else its summary's. */
  private static String vocabularyOf(TokenTable table, FinetuneOptions o) {
    List<String> columns = Arrays.asList(table.cells().columns());
    CellSelection.requireColumn(columns, "cell_id", "finetune (predictions are keyed by cell_id)");
    CellSelection.requireColumn(columns, o.label(), "--label");
    if (o.group() != null) {
      CellSelection.requireColumn(columns, o.group(), "--group");
    }
    String location = table.vocabulary(o.vocabulary(), o.input());
    return location;
  }

  /** The model against the tokens, as embed checks it (and --pooling cls against <cls>). */
  private static void checkModel(
      SparkSession spark,
      Dataset<Row> cells,
      ResolvedModel model,
      Vocabulary vocabulary,
      FinetuneOptions o) {
    spark.sparkContext().setJobDescription("finetune: check the model against the tokens");
    ModelCheck.check(
        model.config(),
        o.model(),
        TokenProfiles.of(cells, "input_ids", "cell_id", vocabulary),
        EmbeddingSettings.of(-1, o.pooling(), o.training().batchTokens(), vocabulary));
  }

  /** Refused before the model is loaded: training needs cells to train on and to validate on. */
  private static void requireTrainingAndValidationCells(
      Map<String, Long> perSplit, FinetuneOptions o) {
    long train = perSplit.getOrDefault("train", 0L);
    long validation = perSplit.getOrDefault("validation", 0L);
    if (train == 0 || validation == 0) {
      throw UserException.of(
          "--label %s of %s leaves %d training and %d validation cells; fine-tuning needs both:"
              + " give more cells (or groups), or a --split with larger train and validation parts",
          o.label(), o.input(), train, validation);
    }
  }

  /** training.csv and .png, metrics.json, predictions/, the confusion matrix (CSV and PNG). */
  private static void writeOutputs(
      SparkSession spark,
      StagedOutput out,
      FinetuneOptions o,
      TrainingTask.Outcome trained,
      List<String> names,
      String reported) {
    out.writeText("training.csv", TrainingCurve.csv(trained.epochs(), "validation_macro_f1"));
    out.writeBytes(
        "training.png",
        PngBytes.of(
            s ->
                TrainingCurve.write(
                    trained.epochs(), "Fine-tuning on " + o.label(), "macro-F1", s)));
    TrainingTask.SplitResult shown = trained.splits().get(reported);
    long[][] confusion = confusion(shown, names.size());
    ConfusionHeatmap.writeFiles(
        out,
        "confusion_matrix",
        confusion,
        names.toArray(new String[0]),
        ConfusionHeatmap.title(
            reported,
            shown.ids().size(),
            shown.evaluation().accuracy(),
            shown.evaluation().macroF1()));
    out.writeText(
        "metrics.json",
        new JobSummary("finetune-metrics")
            .put("metrics", metricsMap(trained))
            .put("classes", names)
            .toJson());
    predictions(spark, trained, names, o).write().parquet(out.stagingLocation() + "/predictions");
  }

  private static long[][] confusion(TrainingTask.SplitResult split, int classes) {
    long[][] m = new long[classes][classes];
    for (int i = 0; i < split.labels().length; i++) {
      m[split.labels()[i]][split.evaluation().predicted()[i]]++;
    }
    return m;
  }

  /** Every cell's split, label, predicted class, confidence and class probabilities. */
  private static Dataset<Row> predictions(
      SparkSession spark, TrainingTask.Outcome trained, List<String> names, FinetuneOptions o) {
    List<Row> rows = new ArrayList<>();
    trained.splits().forEach((split, r) -> PredictionColumns.addRows(rows, r, names, split));
    StructType schema = PredictionColumns.cellTable(o.label(), "split", DataTypes.StringType);
    return spark.createDataFrame(rows, schema);
  }

  private static Map<String, Object> metricsMap(TrainingTask.Outcome trained) {
    Map<String, Object> m = new LinkedHashMap<>();
    trained
        .splits()
        .forEach(
            (s, r) -> {
              if (r.evaluation() != null) {
                m.put(s, r.scores());
              }
            });
    return m;
  }

  private static Map<String, Object> trainingMap(TrainingTask.Outcome t) {
    Map<String, Object> m =
        TrainingCurve.summary(
            t.epochs(), t.bestEpoch(), t.resumedFrom(), "validation_macro_f1", t.gradientSeconds());
    m.put("class_weights", t.classWeights());
    m.put("trained_on", t.trainedOn());
    return m;
  }

  private static Map<String, Object> options(
      FinetuneOptions o, String vocabulary, DropoutRates dropout) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("label", o.label());
    m.put("group", o.group());
    m.put("model", o.model());
    m.put("vocabulary", vocabulary);
    m.put("pooling", o.pooling().name().toLowerCase(Locale.ROOT));
    o.training().describe(m, dropout);
    m.put("split", Arrays.stream(o.fractions()).boxed().toList());
    m.put("min_class_size", o.minClassSize());
    m.put("rare_threshold", o.rareThreshold());
    m.put("seed", o.seed());
    m.put("folds", o.folds());
    m.put("split_groups", o.splitGroups());
    if (!o.balance().isEmpty()) {
      m.put("balance", o.balance());
    }
    if (o.stratify() != null) {
      m.put("stratify", o.stratify());
    }
    o.sample().addTo(m);
    if (!o.search().isEmpty()) {
      m.put("search", o.search().described());
    }
    return m;
  }
}
