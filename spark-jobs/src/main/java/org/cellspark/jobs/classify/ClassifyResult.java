package org.cellspark.jobs.classify;

import java.util.List;
import java.util.Map;

/**
 * What `cellspark classify` trained and measured.
 *
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param classes the classes the model predicts
 * @param chosen the chosen setting of the classifier's grid
 * @param test the test split's metrics (validation's when the test split is empty); with folds, the
 *     folds' test scores (accuracy_mean, accuracy_sd, macro_f1_mean, ...)
 * @param seconds wall time
 * @param summary what _cellspark.json holds
 * @param folds the cross-validation's folds; 0: one split
 */
public record ClassifyResult(
    String output,
    List<String> classes,
    String chosen,
    Map<String, Object> test,
    double seconds,
    Map<String, Object> summary,
    int folds) {}
