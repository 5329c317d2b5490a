package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.mllib.evaluation.MulticlassMetrics;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A split's metrics from MLlib's MulticlassMetrics: accuracy, macro-F1 (the unweighted mean of the
 * per-class F1 over every class that occurs as truth or prediction, as scikit-learn's {@code
 * f1_score(average="macro")}), per-class precision / recall / F1 / support, and the confusion
 * matrix over all classes of the model (rows: true class, columns: predicted).
 */
public record ClassMetrics(
    long cells, double accuracy, double macroF1, List<PerClass> perClass, long[][] confusion) {

  record PerClass(String label, double precision, double recall, double f1, long support) {}

  /** {@code predictions}: label_index and prediction (doubles), as the pipeline writes them. */
  public static ClassMetrics of(Dataset<Row> predictions, String[] classes) {
    long cells = predictions.count();
    long[][] confusion = new long[classes.length][classes.length];
    if (cells == 0) {
      return new ClassMetrics(0, Double.NaN, Double.NaN, List.of(), confusion);
    }
    MulticlassMetrics m =
        new MulticlassMetrics(
            predictions
                .select("prediction", "label_index")
                .javaRDD()
                .map(r -> new scala.Tuple2<Object, Object>(r.getDouble(0), r.getDouble(1)))
                .rdd());
    Matrix cm = m.confusionMatrix();
    double[] seen = m.labels(); // ascending class indices occurring as truth or prediction
    for (int i = 0; i < seen.length; i++) {
      for (int j = 0; j < seen.length; j++) {
        confusion[(int) seen[i]][(int) seen[j]] = Math.round(cm.apply(i, j));
      }
    }
    List<PerClass> perClass = new ArrayList<>();
    double f1Sum = 0;
    for (double l : seen) {
      long support = 0;
      for (long c : confusion[(int) l]) {
        support += c;
      }
      double f1 = m.fMeasure(l);
      f1Sum += f1;
      perClass.add(new PerClass(classes[(int) l], m.precision(l), m.recall(l), f1, support));
    }
    return new ClassMetrics(cells, m.accuracy(), f1Sum / seen.length, perClass, confusion);
  }

  public Map<String, Object> asMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cells", cells);
    out.put("accuracy", accuracy);
    out.put("macro_f1", macroF1);
    List<Map<String, Object>> classes = new ArrayList<>();
    for (PerClass p : perClass) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("class", p.label());
      c.put("precision", p.precision());
      c.put("recall", p.recall());
      c.put("f1", p.f1());
      c.put("support", p.support());
      classes.add(c);
    }
    out.put("per_class", classes);
    // Rows: true class, columns: predicted, both in the model's class order (metrics.json
    // "classes").
    out.put("confusion_matrix", confusion);
    return out;
  }
}
