package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.array_position;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import scala.Tuple2;

/**
 * A model's predictions scored against labels the cells already have (upstream's {@code
 * Classifier.evaluate_saved_model}: a fine-tuned model tested on a held-out dataset): accuracy,
 * macro-F1, per-class precision, recall and F1, the confusion matrix over the model's classes, and
 * for two classes the ROC curve of the second class's probability. Cells whose label is missing or
 * is not one of the model's classes cannot be right or wrong: they are counted by value and left
 * out of the scores. Computed where the predictions are; only counts and the curve's points come to
 * the driver.
 *
 * @param column the column holding each cell's known label
 * @param classes the model's classes, in its order
 * @param cells the cells predicted
 * @param notScored cells left out, by their label ("(missing)" for none): the 100 most frequent
 *     values, the rest as one entry
 * @param metrics the scored cells' metrics
 * @param roc the ROC curve with two classes (both among the scored cells), else null
 */
public record KnownLabels(
    String column,
    List<String> classes,
    long cells,
    Map<String, Long> notScored,
    ClassMetrics metrics,
    RocCurves.Curve roc) {
  static final String MISSING = "(missing)";

  /** The values of cells left out that are listed by name (the most frequent). */
  static final int MAX_LISTED = 100;

  /**
   * Scores {@code predictions}' {@code predicted} (a class name) and {@code probability} (one per
   * class, in {@code classes}' order) against {@code column}.
   *
   * @param task for messages: the model's task (a multi-task model's), or null
   */
  public static KnownLabels score(
      Dataset<Row> predictions,
      String column,
      String predicted,
      String probability,
      List<String> classes,
      String task) {
    String[] names = classes.toArray(new String[0]);
    // Read once: the counts, the metrics and the ROC curve each pass over these three columns.
    Dataset<Row> p =
        predictions
            .select(
                col(column).cast("string").as("truth"),
                col(predicted).as("predicted"),
                col(probability).as("p"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return score(p, column, names, task);
    } finally {
      p.unpersist();
    }
  }

  private static KnownLabels score(Dataset<Row> p, String column, String[] names, String task) {
    List<String> classes = List.of(names);
    // Only the model's classes and the most frequent other values come to the driver: a column
    // given by mistake (cell_id) has as many values as cells.
    Column known = col("truth").isin((Object[]) names);
    Column other = not(known).or(col("truth").isNull());
    Dataset<Row> counts = p.groupBy("truth").count();
    Row totals =
        counts
            .agg(
                sum(col("count")),
                sum(when(known, col("count")).otherwise(0L)),
                count(when(other, 1)))
            .first();
    long cells = totals.isNullAt(0) ? 0 : totals.getLong(0);
    long unscored = cells - (totals.isNullAt(1) ? 0 : totals.getLong(1));
    long otherValues = totals.getLong(2);
    Map<String, Long> notScored = new TreeMap<>();
    for (Row r :
        counts
            .filter(other)
            .orderBy(col("count").desc(), col("truth"))
            .limit(MAX_LISTED)
            .collectAsList()) {
      notScored.put(r.isNullAt(0) ? MISSING : r.getString(0), r.getLong(1));
    }
    if (otherValues > MAX_LISTED) {
      notScored.put(
          String.format(java.util.Locale.ROOT, "(%,d other values)", otherValues - MAX_LISTED),
          unscored - notScored.values().stream().mapToLong(Long::longValue).sum());
    }
    if (cells > 0 && unscored == cells) {
      throw UserException.of(
          "--label %s: none of the %,d cells' labels is a class the model%s knows (the model's: %s;"
              + " the column's: %s); pass the column holding the classes the model was trained on",
          column,
          cells,
          task == null ? "" : " (task " + task + ")",
          String.join(", ", classes),
          String.join(", ", notScored.keySet().stream().limit(20).toList()));
    }
    Column indices = lit(names);
    Dataset<Row> scored =
        p.filter(known)
            .withColumn(
                "label_index", array_position(indices, col("truth")).minus(1).cast("double"))
            .withColumn(
                "prediction", array_position(indices, col("predicted")).minus(1).cast("double"));
    ClassMetrics metrics = ClassMetrics.of(scored, names);
    RocCurves.Curve roc =
        RocCurves.ofSecondClass(
            metrics,
            () ->
                scored
                    .select(element_at(col("p"), 2), col("label_index"))
                    .javaRDD()
                    .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getDouble(1)))
                    .rdd());
    return new KnownLabels(column, List.copyOf(classes), cells, notScored, metrics, roc);
  }

  /** metrics.json's content, and the summary's "evaluation" entry. */
  public Map<String, Object> asMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("label", column);
    out.put("classes", classes);
    out.put("cells", cells);
    out.put("cells_scored", metrics.cells());
    out.put("not_scored", notScored);
    Map<String, Object> m = metrics.asMap();
    m.remove("cells");
    out.putAll(m);
    if (roc != null) {
      out.put("roc_auc", roc.auc());
    }
    return out;
  }

  /**
   * confusion_matrix{suffix}.csv and .png, and for two classes roc{suffix}.csv and .png, into the
   * staging folder.
   */
  public void write(StagedOutput out, String suffix) {
    String[] names = classes.toArray(new String[0]);
    ConfusionHeatmap.writeFiles(
        out,
        "confusion_matrix" + suffix,
        metrics.confusion(),
        names,
        ConfusionHeatmap.title(
            "scored against " + column, metrics.cells(), metrics.accuracy(), metrics.macroF1()));
    if (roc != null) {
      RocCurves.writeFiles(out, "roc" + suffix, List.of(roc), "cells", names[1]);
    }
  }

  /** One line for the console and the log. */
  public String line() {
    return String.format(
        java.util.Locale.ROOT,
        "%s: %,d of %,d cells scored, accuracy %.3f, macro-F1 %.3f%s",
        column,
        metrics.cells(),
        cells,
        metrics.accuracy(),
        metrics.macroF1(),
        roc == null ? "" : String.format(java.util.Locale.ROOT, ", ROC AUC %.3f", roc.auc()));
  }

  /**
   * metrics.json and the plots of every scored label: one label's scores as they are, files without
   * a suffix; a multi-task model's by task, each task's files with "_TASK".
   *
   * @param byTask whether the scores are a multi-task model's, one per task
   */
  static Map<String, Object> writeAll(List<KnownLabels> scores, boolean byTask, StagedOutput out) {
    if (!byTask) {
      KnownLabels k = scores.get(0);
      k.write(out, "");
      out.writeText("metrics.json", metricsJson(k.asMap()));
      return k.asMap();
    }
    Map<String, Object> all = new LinkedHashMap<>();
    for (KnownLabels k : scores) {
      k.write(out, "_" + k.column());
      all.put(k.column(), k.asMap());
    }
    out.writeText("metrics.json", metricsJson(Map.of("tasks", all)));
    return all;
  }

  private static String metricsJson(Map<String, Object> entries) {
    JobSummary json = new JobSummary("classify-apply-metrics");
    json.asMap().putAll(entries);
    return json.toJson();
  }
}
