package org.cellspark.jobs.genes;

import java.util.List;
import java.util.Map;

/**
 * What a gene classifier's cross-validation wrote.
 *
 * @param folds the folds trained
 * @param accuracy the test genes' occurrences' accuracy, the mean over folds
 * @param macroF1 their macro-F1, the mean over folds
 * @param macroF1Sd its standard deviation over folds (0 for one fold)
 * @param rocAuc the mean over folds of the area under the ROC curve (two classes; else NaN)
 */
public record GeneFinetuneResult(
    String output,
    List<String> classes,
    int folds,
    double accuracy,
    double macroF1,
    double macroF1Sd,
    double rocAuc,
    double seconds,
    Map<String, Object> summary) {}
