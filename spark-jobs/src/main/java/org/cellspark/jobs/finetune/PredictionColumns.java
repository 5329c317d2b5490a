package org.cellspark.jobs.finetune;

import java.util.List;
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
