package org.cellspark.jobs.finetune;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fine-tuned classifier's prediction of a cell as the prediction tables hold it: the predicted
 * class, its probability (the confidence) and every class's probability, in class order. Columns
 * {@code predicted}, {@code confidence}, {@code probability}; a multi-task model's prefixed with
 * each task's name ({@code TASK_predicted}, ...).
 */
public final class PredictionColumns {
  private PredictionColumns() {}

  /** {@code schema} with the three columns added, prefixed with {@code task} unless null. */
  public static StructType add(StructType schema, String task) {
    String prefix = task == null ? "" : task + "_";
    return schema
        .add(prefix + "predicted", DataTypes.StringType, false)
        .add(prefix + "confidence", DataTypes.DoubleType, false)
        .add(prefix + "probability", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
  }

  /**
   * A fine-tune's prediction table: cell_id, the label column, a column saying where each cell was
   * scored ({@code tag}: its split, or its fold), and the three columns.
   */
  static StructType cellTable(String label, String tag, DataType tagType) {
    return add(
        new StructType()
            .add("cell_id", DataTypes.StringType, false)
            .add(label, DataTypes.StringType, false)
            .add(tag, tagType, false),
        null);
  }

  /**
   * {@link #cellTable}'s rows for a split's cells, each with {@code tag}, added to {@code rows}.
   */
  static void addRows(
      List<Row> rows, TrainingTask.SplitResult split, List<String> names, Object tag) {
    for (int i = 0; i < split.ids().size(); i++) {
      List<Object> row =
          new ArrayList<>(List.of(split.ids().get(i), names.get(split.labels()[i]), tag));
      row.addAll(
          values(
              names.get(split.evaluation().predicted()[i]), split.evaluation().probabilities()[i]));
      rows.add(RowFactory.create(row.toArray()));
    }
  }

  /** The three columns' values for a cell predicted {@code predicted} with these probabilities. */
  public static List<Object> values(String predicted, float[] probabilities) {
    Double[] probability = new Double[probabilities.length];
    double confidence = 0;
    for (int k = 0; k < probabilities.length; k++) {
      probability[k] = (double) probabilities[k];
      confidence = Math.max(confidence, probabilities[k]);
    }
    return List.of(predicted, confidence, probability);
  }
}
