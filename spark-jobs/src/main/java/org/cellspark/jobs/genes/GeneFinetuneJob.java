package org.cellspark.jobs.genes;

import static org.apache.spark.sql.functions.arrays_overlap;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
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
import org.cellspark.jobs.classify.ClassifyJob;
import org.cellspark.jobs.classify.ConfusionHeatmap;
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
 * fold). Each fold trains in its own Spark task, so a cluster's GPUs train the folds at once.
 * Writes metrics.json, folds.csv, genes.csv (every held-out gene's prediction), the pooled test
 * confusion matrix, ROC curves (two classes), training.csv, each fold's model (a Hugging Face token
 * classification folder) and the summary.
 */
public final class GeneFinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(GeneFinetuneJob.class);

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
    DropoutRates dropout = o.training().dropoutRates(model.configFile());
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.input()));
    try (JobScope job = JobScope.start(sc, "cellspark finetune-genes", out)) {
      Dataset<Row> cells = CellSelection.filter(table.cells(), o.filters());
      sc.setJobDescription("finetune-genes: check the model against the tokens");
      ModelCheck.check(
          model.config(),
          o.model(),
          TokenProfiles.of(cells, "input_ids", vocabulary),
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
      List<GeneFoldTask.Outcome> outcomes =
          trainFolds(spark, holding, o, folds, classes, vocabulary, dropout, out, plan);
      GeneNames names = new GeneNames(vocabulary);
      Report report = Report.of(JavaSparkContext.fromSparkContext(sc), outcomes, classes.names());
      Map<String, Object> metrics = report.asMap();
      writeOutputs(out, hadoop, outcomes, folds, classes, names, report, metrics);
      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          new JobSummary("finetune-genes")
              .put("options", options)
              .put("classes", classSummary(classes))
              .put("metrics", metrics)
              .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
      job.commit(out, summary);
      EpochCheckpoints.delete(out.targetUri(), hadoop);
      LOG.info(
          String.format(
              Locale.ROOT,
              "finetune-genes: %d fold(s), test macro-F1 %.3f ± %.3f (%.1f s) to %s",
              outcomes.size(),
              report.macroF1().getMean(),
              sd(report.macroF1()),
              seconds,
              out.targetUri()));
      return new GeneFinetuneResult(
          out.targetUri(),
          classes.names(),
          outcomes.size(),
          report.accuracy().getMean(),
          report.macroF1().getMean(),
          sd(report.macroF1()),
          report.rocAuc().getN() == 0 ? Double.NaN : report.rocAuc().getMean(),
          seconds,
          summary.asMap());
    }
  }

  /** One task per fold, each given its cells by part ({@link FoldCells}). */
  private static List<GeneFoldTask.Outcome> trainFolds(
      SparkSession spark,
      Dataset<Row> holding,
      GeneFinetuneOptions o,
      GeneFolds folds,
      GeneClasses classes,
      Vocabulary vocabulary,
      DropoutRates dropout,
      StagedOutput out,
      String plan) {
    int run = o.foldsToRun();
    spark
        .sparkContext()
        .setJobDescription("finetune-genes: train " + run + " fold(s), one task each");
    GeneFoldTask task =
        new GeneFoldTask(
            o,
            folds,
            classes.names(),
            vocabulary.size(),
            dropout,
            out.stagingUri() + "/models",
            out.targetUri(),
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
                    vocabulary.size(),
                    o.maxCells(),
                    o.training().seed())
                .mapPartitions(task)
                .collect());
    spark.sparkContext().setJobDescription(null);
    if (outcomes.size() < run) {
      throw UserException.of(
          "no cell of %s%s holds any gene of --gene-classes %s (%d genes): check that the tokens"
              + " were made with the vocabulary the genes were resolved in (%s)",
          o.input(),
          o.filters().isEmpty() ? "" : " passing --filter " + o.filters(),
          o.geneClasses(),
          folds.size(),
          vocabulary.location());
    }
    outcomes.sort(Comparator.comparingInt(GeneFoldTask.Outcome::fold));
    return outcomes;
  }

  /** The folds' test scores, pooled confusion and ROC curves. */
  record Report(
      List<String> classes,
      List<GeneFoldTask.Outcome> folds,
      SummaryStatistics accuracy,
      SummaryStatistics macroF1,
      SummaryStatistics rocAuc,
      List<RocCurves.Curve> curves,
      long[][] confusion) {

    static Report of(JavaSparkContext sc, List<GeneFoldTask.Outcome> folds, List<String> classes) {
      SummaryStatistics accuracy = new SummaryStatistics();
      SummaryStatistics macroF1 = new SummaryStatistics();
      SummaryStatistics auc = new SummaryStatistics();
      List<RocCurves.Curve> curves = new ArrayList<>();
      long[][] confusion = new long[classes.size()][classes.size()];
      for (GeneFoldTask.Outcome f : folds) {
        TokenEvaluation t = f.test();
        if (t.size() == 0) {
          continue; // no cell held a test gene: nothing to score
        }
        accuracy.addValue(t.accuracy());
        macroF1.addValue(t.macroF1());
        for (int i = 0; i < t.size(); i++) {
          confusion[t.labels()[i]][t.predicted()[i]]++;
        }
        if (classes.size() == 2 && Arrays.stream(t.labels()).distinct().count() == 2) {
          RocCurves.Curve c = RocCurves.of(sc, f.fold(), t.probabilities(), t.labels());
          curves.add(c);
          auc.addValue(c.auc());
        }
      }
      return new Report(classes, folds, accuracy, macroF1, auc, curves, confusion);
    }

    /** A fold's test ROC curve; null when it has none (not two classes among its test genes). */
    RocCurves.Curve curveOf(int fold) {
      return curves.stream().filter(c -> c.fold() == fold).findFirst().orElse(null);
    }

    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      Map<String, Object> test = new LinkedHashMap<>();
      test.put("folds_scored", macroF1.getN());
      test.put("accuracy_mean", accuracy.getMean());
      test.put("accuracy_sd", sd(accuracy));
      test.put("macro_f1_mean", macroF1.getMean());
      test.put("macro_f1_sd", sd(macroF1));
      if (rocAuc.getN() > 0) {
        test.put("roc_auc_mean", rocAuc.getMean());
        test.put("roc_auc_sd", sd(rocAuc));
        test.put("roc_auc_of_mean_curve", RocCurves.area(RocCurves.mean(curves)));
      }
      m.put("test", test);
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
        RocCurves.Curve curve = curveOf(f.fold());
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

  /** The sample standard deviation; 0 for one value (one fold has no spread to report). */
  static double sd(SummaryStatistics s) {
    return s.getN() < 2 ? 0 : s.getStandardDeviation();
  }

  private static void writeOutputs(
      StagedOutput out,
      Configuration hadoop,
      List<GeneFoldTask.Outcome> outcomes,
      GeneFolds folds,
      GeneClasses classes,
      GeneNames names,
      Report report,
      Map<String, Object> metrics) {
    try {
      String[] classNames = classes.names().toArray(new String[0]);
      out.writeText("genes.csv", GeneTable.csv(outcomes, folds, classes.names(), names));
      out.writeText("folds.csv", foldsCsv(outcomes, report));
      if (folds.predicted().length > 0) {
        out.writeText("predictions.csv", GeneTable.predictions(outcomes, classes.names(), names));
      }
      out.writeText("training.csv", trainingCsv(outcomes));
      out.writeText(
          "confusion_matrix.csv", ClassifyJob.confusionCsv(report.confusion(), classNames));
      org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(out.stagingUri());
      FileSystem fs = folder.getFileSystem(hadoop);
      long occurrences = Arrays.stream(report.confusion()).flatMapToLong(Arrays::stream).sum();
      try (OutputStream s =
          fs.create(new org.apache.hadoop.fs.Path(folder, "confusion_matrix.png"), true)) {
        ConfusionHeatmap.write(
            report.confusion(),
            classNames,
            ConfusionHeatmap.title(
                "test genes' occurrences, all folds",
                occurrences,
                report.accuracy().getMean(),
                report.macroF1().getMean()),
            s);
      }
      if (!report.curves().isEmpty()) {
        out.writeText("roc.csv", rocCsv(report.curves()));
        try (OutputStream s = fs.create(new org.apache.hadoop.fs.Path(folder, "roc.png"), true)) {
          RocCurves.write(report.curves(), classNames[1], s);
        }
      }
      out.writeText(
          "metrics.json",
          new JobSummary("finetune-genes-metrics")
              .put("classes", classes.names())
              .put("metrics", metrics)
              .toJson());
    } catch (IOException e) {
      throw UserException.because(
          e,
          "Cannot write the gene classifier's outputs into %s: %s",
          out.targetUri(),
          e.getMessage());
    }
  }

  /**
   * The genes --predict-genes names: {@code all} for every gene of the vocabulary, else names and
   * files as perturb's --genes takes them; the classes' own genes are left out either way.
   */
  private static int[] genesToPredict(
      GeneFinetuneOptions o, Vocabulary vocabulary, Configuration hadoop) {
    if (o.predictGenes().size() == 1 && o.predictGenes().get(0).equalsIgnoreCase("all")) {
      return vocabulary.tokenIds().entrySet().stream()
          .filter(e -> !vocabulary.isSpecialToken(e.getKey()))
          .mapToInt(Map.Entry::getValue)
          .toArray();
    }
    return GeneList.resolve(
            o.predictGenes(), "--predict-genes", "finetune-genes", vocabulary, hadoop)
        .tokens();
  }

  private static String foldsCsv(List<GeneFoldTask.Outcome> outcomes, Report report) {
    StringBuilder csv =
        new StringBuilder("fold,split,genes,cells,occurrences,accuracy,macro_f1,loss,roc_auc\n");
    for (GeneFoldTask.Outcome f : outcomes) {
      RocCurves.Curve curve = report.curveOf(f.fold());
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
    StringBuilder csv =
        new StringBuilder("fold,epoch,train_loss,validation_loss,validation_macro_f1\n");
    for (GeneFoldTask.Outcome f : outcomes) {
      for (FineTuner.Epoch e : f.epochs()) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%d,%d,%.6f,%.6f,%.6f%n",
                f.fold() + 1,
                e.epoch(),
                e.trainLoss(),
                e.validationLoss(),
                e.validationMetric()));
      }
    }
    return csv.toString();
  }

  private static String rocCsv(List<RocCurves.Curve> curves) {
    StringBuilder csv = new StringBuilder("fpr");
    for (RocCurves.Curve c : curves) {
      csv.append(",tpr_fold_").append(c.fold() + 1);
    }
    csv.append(",tpr_mean\n");
    double[] x = RocCurves.grid();
    double[] mean = RocCurves.mean(curves);
    for (int i = 0; i < x.length; i++) {
      csv.append(String.format(Locale.ROOT, "%.6f", x[i]));
      for (RocCurves.Curve c : curves) {
        csv.append(String.format(Locale.ROOT, ",%.6f", c.onGrid()[i]));
      }
      csv.append(String.format(Locale.ROOT, ",%.6f%n", mean[i]));
    }
    return csv.toString();
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
    m.put("filters", o.filters().stream().map(CellSelection.Filter::toString).toList());
    m.put("predict_genes", o.predictGenes());
    m.put("max_cells", o.maxCells());
    m.put("seed", o.training().seed());
    return m;
  }
}
