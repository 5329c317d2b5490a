package org.cellspark.jobs.genes;

import static org.apache.spark.sql.functions.arrays_overlap;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.classify.FoldScores;
import org.cellspark.jobs.classify.RocCurves;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.GeneList;
import org.cellspark.jobs.common.GeneNames;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ModelFingerprint;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.finetune.EpochCheckpoints;
import org.cellspark.jobs.finetune.SettingsSearch;
import org.cellspark.jobs.finetune.TrainingCurve;
import org.cellspark.jobs.finetune.Trials;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.train.DropoutRates;
import org.cellspark.train.FineTuner;
import org.cellspark.train.TokenEvaluation;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cellspark finetune-genes}: a gene classifier, as upstream's {@code
 * Classifier(classifier="gene")} trains one: genes of known classes (dosage-sensitive or not,
 * bivalent or not) labelled wherever they occur in the cells, the whole model fine-tuned with a
 * token-classification head, cross-validated over genes (each fold's genes never trained on in that
 * fold). Each fold trains in its own Spark task, so a cluster's GPUs train the folds at once; with
 * --search, each trial of each fold does (upstream's n_hyperopt_trials: a search in every fold),
 * and each fold keeps the trial best on its validation genes. Writes metrics.json, folds.csv,
 * genes.csv (every held-out gene's prediction), the pooled test confusion matrix, ROC curves (two
 * classes), training.csv, each fold's model (a Hugging Face token classification folder), with a
 * search trials.csv, and the summary.
 */
public final class GeneFinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(GeneFinetuneJob.class);

  /** What trials are compared by: the macro-F1 of the fold's validation genes' occurrences. */
  private static final String METRIC = "validation_macro_f1";

  private GeneFinetuneJob() {}

  public static GeneFinetuneResult run(SparkSession spark, GeneFinetuneOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    TokenTable table = TokenTable.read(spark, o.input());
    CellSelection.requireColumn(
        Arrays.asList(table.cells().columns()),
        "cell_id",
        "finetune-genes (cells are ordered by cell_id)");
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.input());
    Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
    GeneClasses classes = GeneClasses.read(o.geneClasses(), vocabulary, hadoop);
    GeneFolds folds = GeneFolds.deal(classes, o.folds(), o.training().seed(), o.geneClasses());
    if (!o.predictGenes().isEmpty()) {
      folds = folds.predicting(genesToPredict(o, vocabulary, hadoop));
    }
    ResolvedModel model = ResolvedModel.of(o.model());
    o.training().checkAgainst(model.config());
    DropoutRates dropout = o.training().dropoutRates(model.configFile());
    List<SettingsSearch.Trial> trials = o.search().trials(o.training());
    if (o.search().shortfall() != null) {
      LOG.warn(o.search().shortfall());
    }
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
    try (JobScope job = JobScope.start(sc, "cellspark finetune-genes", out)) {
      Dataset<Row> cells = CellSelection.filter(table.cells(), o.filters());
      sc.setJobDescription("finetune-genes: check the model against the tokens");
      ModelCheck.check(
          model.config(),
          o.model(),
          TokenProfiles.of(cells, "input_ids", "cell_id", vocabulary),
          EmbeddingSettings.of(-1, Pooling.MEAN, o.training().batchTokens(), vocabulary));
      sc.setJobDescription("finetune-genes: cells holding the genes");
      Dataset<Row> holding =
          cells
              .select(col("cell_id").cast(DataTypes.StringType), col("input_ids"))
              .filter(arrays_overlap(col("input_ids"), lit(folds.tokens())));
      Map<String, Object> options = options(o, vocabularyLocation, dropout);
      String plan =
          options
              + "\nmodel "
              + ModelFingerprint.of(model.path())
              + "\nclasses "
              + classes.names()
              + "\ngenes "
              + Arrays.toString(folds.tokens())
              + Arrays.toString(folds.folds())
              + Arrays.toString(folds.test())
              + Arrays.toString(folds.predicted());
      List<GeneFoldTask.Outcome> trained =
          trainFolds(spark, holding, o, folds, classes, vocabulary, trials, out, plan);
      List<GeneFoldTask.Outcome> outcomes =
          trials.size() == 1
              ? trained
              : Trials.keepBestPerFold(trained, trials, o.search(), METRIC, out, hadoop);
      GeneNames names = new GeneNames(vocabulary);
      Report report = Report.of(JavaSparkContext.fromSparkContext(sc), outcomes, classes.names());
      Map<String, Object> metrics = report.asMap();
      writeOutputs(out, outcomes, folds, classes, names, report, metrics);
      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          new JobSummary("finetune-genes")
              .put("options", options)
              .put("classes", classSummary(classes))
              .put("metrics", metrics)
              .put(
                  "search",
                  trials.size() == 1
                      ? null
                      : Trials.summaryPerFold(o.search(), trials, trained, outcomes, METRIC))
              .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
      job.commit(out, summary);
      EpochCheckpoints.delete(out.targetLocation(), hadoop);
      LOG.info(
          String.format(
              Locale.ROOT,
              "finetune-genes: %d fold(s), test macro-F1 %.3f ± %.3f (%.1f s) to %s",
              outcomes.size(),
              report.scores().macroF1().getMean(),
              FoldScores.sd(report.scores().macroF1()),
              seconds,
              out.targetLocation()));
      return new GeneFinetuneResult(
          out.targetLocation(),
          classes.names(),
          outcomes.size(),
          report.scores().accuracy().getMean(),
          report.scores().macroF1().getMean(),
          FoldScores.sd(report.scores().macroF1()),
          report.scores().meanRocAuc(),
          seconds,
          summary.asMap());
    }
  }

  /**
   * One task per fold (with --search, per trial of each fold), each given its cells by part ({@link
   * FoldCells}); the outcomes by fold, then trial.
   */
  private static List<GeneFoldTask.Outcome> trainFolds(
      SparkSession spark,
      Dataset<Row> holding,
      GeneFinetuneOptions o,
      GeneFolds folds,
      GeneClasses classes,
      Vocabulary vocabulary,
      List<SettingsSearch.Trial> trials,
      StagedOutput out,
      String plan) {
    int run = o.foldsToRun();
    spark
        .sparkContext()
        .setJobDescription(
            "finetune-genes: train "
                + run
                + " fold(s)"
                + (trials.size() == 1 ? "" : " x " + trials.size() + " trials")
                + ", one task each");
    GeneFoldTask task =
        new GeneFoldTask(
            o,
            folds,
            classes.names(),
            vocabulary.size(),
            trials,
            out.stagingLocation(),
            out.targetLocation(),
            plan,
            FaultInjection.trainingStop(spark),
            SparkJobs.hadoopConf(spark));
    List<GeneFoldTask.Outcome> outcomes =
        new ArrayList<>(
            FoldCells.of(
                    spark,
                    holding,
                    folds,
                    run,
                    trials.size(),
                    vocabulary.size(),
                    o.maxCells(),
                    o.training().seed())
                .mapPartitions(task)
                .collect());
    spark.sparkContext().setJobDescription(null);
    if (outcomes.size() < run * trials.size()) {
      throw UserException.of(
          "no cell of %s%s holds any gene of --gene-classes %s (%d genes): check that the tokens"
              + " were made with the vocabulary the genes were resolved in (%s)",
          o.input(),
          o.filters().isEmpty() ? "" : " passing --filter " + o.filters(),
          o.geneClasses(),
          folds.size(),
          vocabulary.location());
    }
    outcomes.sort(
        Comparator.comparingInt(GeneFoldTask.Outcome::fold)
            .thenComparingInt(GeneFoldTask.Outcome::trial));
    return outcomes;
  }

  /** The folds' test scores, pooled confusion and ROC curves, and each fold's numbers. */
  record Report(List<GeneFoldTask.Outcome> folds, FoldScores scores) {

    static Report of(JavaSparkContext sc, List<GeneFoldTask.Outcome> folds, List<String> classes) {
      FoldScores scores = new FoldScores(classes);
      for (GeneFoldTask.Outcome f : folds) {
        TokenEvaluation t = f.test(); // a fold whose test genes no cell held adds nothing
        scores.add(
            sc, f.fold(), t.labels(), t.predicted(), t.probabilities(), t.accuracy(), t.macroF1());
      }
      return new Report(folds, scores);
    }

    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("test", scores.asMap());
      List<Map<String, Object>> each = new ArrayList<>();
      for (GeneFoldTask.Outcome f : folds) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("fold", f.fold() + 1);
        one.put("trained_on", f.trainedOn());
        one.put("genes", lower(f.genes()));
        one.put("cells", lower(f.cells()));
        one.put("epochs_run", f.epochs().size());
        one.put("best_epoch", f.bestEpoch());
        one.put("resumed_after_epoch", f.resumedAfter());
        one.put("validation", scores(f.validation(), null));
        RocCurves.Curve curve = scores.curveOf(f.fold());
        one.put("test", scores(f.test(), curve));
        each.add(one);
      }
      m.put("folds", each);
      return m;
    }

    private static Map<String, Object> scores(TokenEvaluation e, RocCurves.Curve curve) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("occurrences", e.size());
      m.put("accuracy", e.accuracy());
      m.put("macro_f1", e.macroF1());
      m.put("loss", e.loss());
      if (curve != null) {
        m.put("roc_auc", curve.auc());
      }
      return m;
    }
  }

  private static Map<String, Integer> lower(Map<GeneFolds.Role, Integer> byRole) {
    Map<String, Integer> m = new LinkedHashMap<>();
    byRole.forEach((r, n) -> m.put(r.name().toLowerCase(Locale.ROOT), n));
    return m;
  }

  private static void writeOutputs(
      StagedOutput out,
      List<GeneFoldTask.Outcome> outcomes,
      GeneFolds folds,
      GeneClasses classes,
      GeneNames names,
      Report report,
      Map<String, Object> metrics) {
    report.scores().write(out, "test genes' occurrences");
    out.writeText("genes.csv", GeneTable.csv(outcomes, folds, classes.names(), names));
    out.writeText("folds.csv", foldsCsv(outcomes, report));
    if (folds.predicted().length > 0) {
      out.writeText("predictions.csv", GeneTable.predictions(outcomes, classes.names(), names));
    }
    out.writeText("training.csv", trainingCsv(outcomes));
    out.writeText(
        "metrics.json",
        new JobSummary("finetune-genes-metrics")
            .put("classes", classes.names())
            .put("metrics", metrics)
            .toJson());
  }

  /**
   * The genes --predict-genes names: {@code all} for every gene of the vocabulary, else names and
   * files as perturb's --genes takes them; the classes' own genes are left out either way.
   */
  private static int[] genesToPredict(
      GeneFinetuneOptions o, Vocabulary vocabulary, Configuration hadoop) {
    return GeneList.tokensOrAll(
        o.predictGenes(), "--predict-genes", "finetune-genes", vocabulary, hadoop);
  }

  private static String foldsCsv(List<GeneFoldTask.Outcome> outcomes, Report report) {
    StringBuilder csv =
        new StringBuilder("fold,split,genes,cells,occurrences,accuracy,macro_f1,loss,roc_auc\n");
    for (GeneFoldTask.Outcome f : outcomes) {
      RocCurves.Curve curve = report.scores().curveOf(f.fold());
      for (GeneFolds.Role role : List.of(GeneFolds.Role.VALIDATION, GeneFolds.Role.TEST)) {
        TokenEvaluation e = role == GeneFolds.Role.TEST ? f.test() : f.validation();
        csv.append(
            String.format(
                Locale.ROOT,
                "%d,%s,%d,%d,%d,%.6f,%.6f,%.6f,%s%n",
                f.fold() + 1,
                role.name().toLowerCase(Locale.ROOT),
                f.genes().get(role),
                f.cells().get(role),
                e.size(),
                e.accuracy(),
                e.macroF1(),
                e.loss(),
                role == GeneFolds.Role.TEST && curve != null
                    ? String.format(Locale.ROOT, "%.6f", curve.auc())
                    : ""));
      }
    }
    return csv.toString();
  }

  private static String trainingCsv(List<GeneFoldTask.Outcome> outcomes) {
    Map<Integer, List<FineTuner.Epoch>> byFold = new LinkedHashMap<>();
    outcomes.forEach(f -> byFold.put(f.fold() + 1, f.epochs()));
    return TrainingCurve.csvByFold(byFold, "validation_macro_f1");
  }

  private static Map<String, Object> classSummary(GeneClasses classes) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("genes", classes.sizes());
    m.put("not_in_vocabulary", classes.unknown());
    return m;
  }

  private static Map<String, Object> options(
      GeneFinetuneOptions o, String vocabulary, DropoutRates dropout) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("gene_classes", o.geneClasses());
    m.put("model", o.model());
    m.put("vocabulary", vocabulary);
    m.put("folds", o.folds());
    m.put("folds_run", o.foldsToRun());
    o.training().describe(m, dropout);
    if (!o.search().isEmpty()) {
      m.put("search", o.search().described());
    }
    m.put("filters", o.filters().stream().map(CellSelection.Filter::toString).toList());
    m.put("predict_genes", o.predictGenes());
    m.put("max_cells", o.maxCells());
    m.put("seed", o.training().seed());
    return m;
  }
}
