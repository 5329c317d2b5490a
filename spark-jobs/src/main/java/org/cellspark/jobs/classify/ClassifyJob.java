package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.EmbeddingTable;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark classify`: a Spark MLlib classifier of a cell label on embeddings. Cells without a
 * label and rare classes are left out; the rest are split train / validation / test with whole
 * groups (donors) on one side; each setting of the classifier's grid is trained on train and the
 * one with the best validation macro-F1 kept; every split is then scored.
 *
 * <pre>
 * OUTPUT/model/                  the fitted PipelineModel (classifier + label decoder; MLlib)
 * OUTPUT/predictions/            cell_id, label, group, split, predicted, confidence, probability
 * OUTPUT/metrics.json            per split: accuracy, macro-F1, per-class precision / recall / F1
 * OUTPUT/per_class.csv           the same per class, one row per split and class
 * OUTPUT/confusion_matrix.csv    test split (validation when test is empty): true x predicted
 * OUTPUT/confusion_matrix.png    the same as a heatmap
 * OUTPUT/splits.csv              group, split, cells
 * OUTPUT/_cellspark.json         options, classes kept and dropped, the grid, timings
 * </pre>
 */
public final class ClassifyJob {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifyJob.class);
  static final String MODEL = "model";

  private ClassifyJob() {}

  public static ClassifyResult run(SparkSession spark, ClassifyOptions options) {
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
  private static ClassifyResult run(SparkSession spark, ClassifyOptions o, GroupSplits given) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    Dataset<Row> cells = EmbeddingTable.read(spark, o.embeddings(), "--embeddings");
    EmbeddingTable.requireColumn(cells, "cell_id", "--embeddings", o.embeddings());
    EmbeddingTable.requireColumn(cells, o.label(), "--embeddings", o.embeddings());
    if (o.group() != null) {
      EmbeddingTable.requireColumn(cells, o.group(), "--embeddings", o.embeddings());
    }
    cells = o.sample().filter(cells);
    StagedOutput out =
        StagedOutput.prepare(o.output(), o.overwrite(), hadoop, List.of(o.embeddings()));
    Dataset<Row> prepared = null;
    try (JobScope job = JobScope.start(sc, "cellspark classify", out)) {
      sc.setJobDescription("classify: classes and groups");
      Dataset<Row> labelled =
          cells
              .filter(col(o.label()).isNotNull())
              .withColumn("_label", col(o.label()).cast(DataTypes.StringType));
      LabelSplits.Settings labels = LabelSplits.settings(o.label(), o.embeddings(), o, given);
      LabelSplits.Classes classes =
          LabelSplits.Classes.of(labelled, cells.count() - labelled.count(), labels);
      labelled = labelled.filter(col("_label").isin(classes.kept().toArray()));

      Map<String, Object> splitInfo = new LinkedHashMap<>();
      labelled = o.sample().sample(labelled, "_label", o.seed(), splitInfo);
      Dataset<Row> split =
          o.folds() > 0
              ? LabelSplits.withFolds(spark, labelled, labels, o.folds(), splitInfo, out)
              : LabelSplits.withSplit(spark, labelled, labels, splitInfo, out);
      StringIndexerModel indexer =
          new StringIndexer()
              .setInputCol("_label")
              .setOutputCol("label_index")
              .setStringOrderType("alphabetAsc")
              .fit(split);
      String[] names = indexer.labelsArray()[0];
      prepared = indexer.transform(split).persist();
      int features = prepared.select(EmbeddingTable.EMBEDDING).first().<Vector>getAs(0).size();
      if (o.folds() > 0) {
        return crossValidated(
            spark, prepared, names, features, o, out, job, classes, splitInfo, start);
      }

      sc.setJobDescription("classify: train " + o.classifier().label());
      Trained trained = train(prepared, names, features, o);

      sc.setJobDescription("classify: score and write");
      Map<Split, ClassMetrics> bySplit = scoreAndWrite(prepared, trained.model(), names, o, out);
      Split reported = bySplit.get(Split.TEST).cells() > 0 ? Split.TEST : Split.VALIDATION;
      Map<String, Object> metrics = new LinkedHashMap<>();
      bySplit.forEach((s, m) -> metrics.put(s.label(), m.asMap()));
      writeReports(out, o, trained, names, metrics, bySplit, reported);

      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          summary(
              o,
              classes.asMap(names),
              splitInfo,
              Map.of(
                  "classifier",
                  o.classifier().label(),
                  "chosen",
                  trained.chosen(),
                  "grid",
                  trained.grid(),
                  "features",
                  features),
              metrics,
              seconds);
      job.commit(out, summary);
      ClassMetrics shown = bySplit.get(reported);
      LOG.info(
          String.format(
              Locale.ROOT,
              "classify: %s on %s, %s accuracy %.3f, macro-F1 %.3f (%.1f s) to %s",
              o.classifier().label(),
              o.label(),
              reported.label(),
              shown.accuracy(),
              shown.macroF1(),
              seconds,
              out.targetLocation()));
      return new ClassifyResult(
          out.targetLocation(),
          Arrays.asList(names),
          trained.chosen(),
          shown.asMap(),
          seconds,
          summary.asMap(),
          0);
    } finally {
      if (prepared != null) {
        prepared.unpersist();
      }
    }
  }

  /** _cellspark.json's content: the options, classes, split, model, metrics and time. */
  private static JobSummary summary(
      ClassifyOptions o,
      Map<String, Object> classes,
      Map<String, Object> splitInfo,
      Map<String, Object> model,
      Map<String, Object> metrics,
      double seconds) {
    return new JobSummary("classify")
        .put("options", options(o))
        .put("classes", classes)
        .put("split", splitInfo)
        .put("model", model)
        .put("metrics", metrics)
        .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
  }

  /** --folds K: the folds trained and scored in turn, the summary's metrics theirs. */
  private static ClassifyResult crossValidated(
      SparkSession spark,
      Dataset<Row> prepared,
      String[] names,
      int features,
      ClassifyOptions o,
      StagedOutput out,
      JobScope job,
      LabelSplits.Classes classes,
      Map<String, Object> splitInfo,
      long start) {
    ClassifyFolds.Result cv =
        ClassifyFolds.run(
            spark,
            prepared,
            names,
            features,
            o,
            out,
            spark.sparkContext().hadoopConfiguration(),
            splitInfo);
    double seconds = (System.nanoTime() - start) / 1e9;
    JobSummary summary =
        summary(
            o,
            classes.asMap(names),
            splitInfo,
            Map.of(
                "classifier",
                o.classifier().label(),
                "chosen_per_fold",
                cv.chosen(),
                "features",
                features),
            cv.metrics(),
            seconds);
    job.commit(out, summary);
    Map<String, Object> test = cv.scores().asMap();
    LOG.info(
        String.format(
            Locale.ROOT,
            "classify: %s on %s, %d folds, test macro-F1 %.3f +- %.3f (%.1f s) to %s",
            o.classifier().label(),
            o.label(),
            o.folds(),
            cv.scores().macroF1().getMean(),
            FoldScores.sd(cv.scores().macroF1()),
            seconds,
            out.targetLocation()));
    return new ClassifyResult(
        out.targetLocation(),
        Arrays.asList(names),
        String.join("; ", cv.chosen()),
        test,
        seconds,
        summary.asMap(),
        o.folds());
  }

  /**
   * The trained model: the grid's setting with the best validation macro-F1 (the first setting when
   * there is no validation split), every setting's score, and the kept setting's validation metrics
   * (null without validation cells).
   */
  record Trained(
      PipelineModel model,
      String chosen,
      List<Map<String, Object>> grid,
      ClassMetrics validation) {}

  /** The grid trained on _split's train cells, the setting best on its validation cells kept. */
  static Trained train(Dataset<Row> prepared, String[] classes, int features, ClassifyOptions o) {
    Dataset<Row> train = prepared.filter(col("_split").equalTo(Split.TRAIN.label()));
    Dataset<Row> validation = prepared.filter(col("_split").equalTo(Split.VALIDATION.label()));
    boolean canValidate = !validation.isEmpty();
    List<Map<String, Object>> grid = new ArrayList<>();
    PipelineModel model = null;
    String chosen = null;
    ClassMetrics chosenOnValidation = null;
    double bestF1 = Double.NEGATIVE_INFINITY;
    for (ClassifierKind.Candidate c :
        o.classifier().candidates(features, classes.length, o.seed())) {
      // The saved model decodes its own predictions: classifier, then index -> class name.
      Pipeline pipeline =
          new Pipeline()
              .setStages(
                  new PipelineStage[] {
                    c.estimator()
                        .setFeaturesCol(EmbeddingTable.EMBEDDING)
                        .setLabelCol("label_index"),
                    new IndexToString()
                        .setInputCol("prediction")
                        .setOutputCol("predicted")
                        .setLabels(classes)
                  });
      PipelineModel m = pipeline.fit(train);
      ClassMetrics onValidation =
          canValidate ? ClassMetrics.of(m.transform(validation), classes) : null;
      double f1 = canValidate ? onValidation.macroF1() : Double.NaN;
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("settings", c.settings());
      entry.put("validation_macro_f1", f1);
      grid.add(entry);
      if (model == null || f1 > bestF1) {
        model = m;
        chosen = c.settings();
        chosenOnValidation = onValidation;
        bestF1 = f1;
      }
      if (!canValidate) {
        break; // nothing to choose with: the first setting
      }
    }
    return new Trained(model, chosen, grid, chosenOnValidation);
  }

  /** Scores every cell, writes the model and predictions/, and measures each split. */
  private static Map<Split, ClassMetrics> scoreAndWrite(
      Dataset<Row> prepared,
      PipelineModel model,
      String[] classes,
      ClassifyOptions o,
      StagedOutput out) {
    Dataset<Row> scored = model.transform(prepared).persist();
    Map<Split, ClassMetrics> bySplit = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      bySplit.put(s, ClassMetrics.of(scored.filter(col("_split").equalTo(s.label())), classes));
    }
    try {
      model.write().save(out.stagingLocation() + "/" + MODEL);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write the model into %s: %s", o.output(), e.getMessage());
    }
    predictionTable(scored, o, col("_split").as("split"))
        .write()
        .parquet(out.stagingLocation() + "/predictions");
    scored.unpersist();
    return bySplit;
  }

  /**
   * Scored cells as predictions/ holds them: cell_id, the label, the group (when another column),
   * {@code part} (the split, or with --folds the fold), predicted, probability, confidence.
   */
  static Dataset<Row> predictionTable(Dataset<Row> scored, ClassifyOptions o, Column part) {
    List<Column> keep = new ArrayList<>(List.of(col("cell_id"), col(o.label())));
    if (o.group() != null && !o.group().equals(o.label())) {
      keep.add(col(o.group()));
    }
    keep.add(part);
    keep.add(col("predicted"));
    keep.add(functions.vector_to_array(col("probability"), "float64").as("probability"));
    return scored
        .select(keep.toArray(new Column[0]))
        .withColumn("confidence", array_max(col("probability")));
  }

  /** metrics.json, per_class.csv, and the reported split's confusion matrix as CSV and PNG. */
  private static void writeReports(
      StagedOutput out,
      ClassifyOptions o,
      Trained trained,
      String[] classes,
      Map<String, Object> metrics,
      Map<Split, ClassMetrics> bySplit,
      Split reported) {
    Map<String, Object> metricsFile = new LinkedHashMap<>();
    metricsFile.put("classifier", o.classifier().label());
    metricsFile.put("chosen", trained.chosen());
    metricsFile.put("grid", trained.grid());
    metricsFile.put("classes", Arrays.asList(classes));
    metricsFile.put("splits", metrics);
    out.writeText(
        "metrics.json", new JobSummary("classify-metrics").put("metrics", metricsFile).toJson());
    out.writeText("per_class.csv", perClassCsv(bySplit));
    ClassMetrics shown = bySplit.get(reported);
    ConfusionHeatmap.writeFiles(
        out,
        "confusion_matrix",
        shown.confusion(),
        classes,
        ConfusionHeatmap.title(reported.label(), shown.cells(), shown.accuracy(), shown.macroF1()));
  }

  private static String perClassCsv(Map<Split, ClassMetrics> bySplit) {
    StringBuilder b = new StringBuilder("split,class,precision,recall,f1,support\n");
    bySplit.forEach(
        (s, m) ->
            m.perClass()
                .forEach(
                    p ->
                        b.append(s.label())
                            .append(',')
                            .append(CsvField.of(p.label()))
                            .append(',')
                            .append(p.precision())
                            .append(',')
                            .append(p.recall())
                            .append(',')
                            .append(p.f1())
                            .append(',')
                            .append(p.support())
                            .append('\n')));
    return b.toString();
  }

  /** A confusion matrix as CSV: true class down, predicted across, class names quoted as needed. */
  public static String confusionCsv(long[][] confusion, String[] classes) {
    StringBuilder b = new StringBuilder("true\\predicted");
    for (String c : classes) {
      b.append(',').append(CsvField.of(c));
    }
    b.append('\n');
    for (int t = 0; t < classes.length; t++) {
      b.append(CsvField.of(classes[t]));
      for (long n : confusion[t]) {
        b.append(',').append(n);
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static Map<String, Object> options(ClassifyOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("embeddings", o.embeddings());
    m.put("label", o.label());
    m.put("group", o.group());
    m.put("split_groups", o.splitGroups());
    if (!o.balance().isEmpty()) {
      m.put("balance", o.balance());
    }
    if (o.stratify() != null) {
      m.put("stratify", o.stratify());
    }
    o.sample().addTo(m);
    m.put("classifier", o.classifier().label());
    m.put("split", o.fractions());
    m.put("folds", o.folds());
    m.put("min_class_size", o.minClassSize());
    m.put("rare_threshold", o.rareThreshold());
    m.put("seed", o.seed());
    return m;
  }
}
