package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import scala.Tuple2;

/**
 * {@code classify --folds K}: the embedding classifier cross-validated as {@code finetune --folds}
 * cross-validates the fine-tune, so that frozen embeddings and fine-tuning can be compared on the
 * same folds (the same seed, --group and --stratify deal the same folds). The labelled cells (or
 * whole groups) are dealt into K folds ({@link LabelSplits#withFolds}); for fold f the classifier's
 * grid is trained on the other folds' training part, the setting with the best macro-F1 on their
 * validation part is kept, and it is tested on fold f. Every labelled cell is tested once, by a
 * model that never saw it. The folds run one after another: each MLlib fit is itself spread over
 * the cluster. Writes models/fold-F/ (pipelines {@code classify apply} takes), predictions/ (every
 * cell's out-of-fold prediction and its fold), folds.csv, metrics.json, the pooled test confusion
 * matrix and, for two classes, the folds' ROC curves.
 */
final class ClassifyFolds {
  /** The folds' test scores, each fold's kept setting, and metrics.json's content. */
  record Result(FoldScores scores, List<String> chosen, Map<String, Object> metrics) {}

  private ClassifyFolds() {}

  /**
   * @param prepared the labelled cells with _roles and label_index, persisted
   * @param splitInfo the summary's split entry, to which each fold's cells are added
   */
  static Result run(
      SparkSession spark,
      Dataset<Row> prepared,
      String[] names,
      int features,
      ClassifyOptions o,
      StagedOutput out,
      Configuration hadoop,
      Map<String, Object> splitInfo) {
    LabelSplits.requireCellsInEveryFold(
        prepared, o.folds(), o.label(), o.embeddings(), o.group(), splitInfo);
    FoldScores scores = new FoldScores(Arrays.asList(names));
    List<String> chosen = new ArrayList<>();
    List<Map<String, Object>> each = new ArrayList<>();
    StringBuilder csv = new StringBuilder("fold,split,cells,accuracy,macro_f1,roc_auc,chosen\n");
    for (int k = 0; k < o.folds(); k++) {
      spark.sparkContext().setJobDescription("classify: fold " + (k + 1) + " of " + o.folds());
      Dataset<Row> fold = prepared.withColumn("_split", element_at(col("_roles"), k + 1));
      ClassifyJob.Trained trained = ClassifyJob.train(fold, names, features, o);
      ClassMetrics validation = trained.validation(); // every fold has some: checked above
      Dataset<Row> test = trained.model().transform(part(fold, Split.TEST)).persist();
      try {
        ClassMetrics tested = ClassMetrics.of(test, names);
        RocCurves.Curve curve =
            names.length == 2 && bothClassesIn(tested)
                ? RocCurves.of(k, scoreAndLabel(test))
                : null;
        scores.add(tested.confusion(), tested.accuracy(), tested.macroF1(), curve);
        save(trained, out, o, k + 1);
        ClassifyJob.predictionTable(test, o, lit(k + 1).as("fold"))
            .write()
            .mode(SaveMode.Append)
            .parquet(out.stagingLocation() + "/predictions");
        chosen.add(trained.chosen());
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("fold", k + 1);
        one.put("chosen", trained.chosen());
        one.put("grid", trained.grid());
        one.put("validation", validation.asMap());
        Map<String, Object> t = tested.asMap();
        if (curve != null) {
          t.put("roc_auc", curve.auc());
        }
        one.put("test", t);
        each.add(one);
        csv.append(line(k + 1, Split.VALIDATION, validation, null, trained.chosen()));
        csv.append(line(k + 1, Split.TEST, tested, curve, trained.chosen()));
      } finally {
        test.unpersist();
      }
    }
    spark.sparkContext().setJobDescription(null);
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("classifier", o.classifier().label());
    metrics.put("classes", Arrays.asList(names));
    metrics.put("test", scores.asMap());
    metrics.put("folds", each);
    scores.write(out, "test cells");
    out.writeText("folds.csv", csv.toString());
    out.writeText(
        "metrics.json", new JobSummary("classify-metrics").put("metrics", metrics).toJson());
    return new Result(scores, chosen, metrics);
  }

  private static Dataset<Row> part(Dataset<Row> fold, Split s) {
    return fold.filter(col("_split").equalTo(s.label()));
  }

  /** Both classes among the fold's test cells (a ROC curve needs positives and negatives). */
  private static boolean bothClassesIn(ClassMetrics m) {
    return Arrays.stream(m.confusion()).allMatch(row -> Arrays.stream(row).sum() > 0);
  }

  /** The second class's probability and the class (0 or 1), where the cells are. */
  private static org.apache.spark.rdd.RDD<Tuple2<Object, Object>> scoreAndLabel(Dataset<Row> test) {
    return test.select(
            functions.vector_to_array(col("probability"), "float64").getItem(1), col("label_index"))
        .javaRDD()
        .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getDouble(1)))
        .rdd();
  }

  private static void save(
      ClassifyJob.Trained trained, StagedOutput out, ClassifyOptions o, int fold) {
    try {
      trained.model().write().save(out.stagingLocation() + "/models/fold-" + fold);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write fold %d's model into %s: %s", fold, o.output(), e.getMessage());
    }
  }

  private static String line(
      int fold, Split s, ClassMetrics m, RocCurves.Curve curve, String chosen) {
    return String.format(
        Locale.ROOT,
        "%d,%s,%d,%.6f,%.6f,%s,%s%n",
        fold,
        s.label(),
        m.cells(),
        m.accuracy(),
        m.macroF1(),
        curve == null ? "" : String.format(Locale.ROOT, "%.6f", curve.auc()),
        CsvField.of(chosen));
  }
}
