package org.cellspark.jobs.finetune;

import java.util.List;
import java.util.Map;

/**
 * What a fine-tune wrote.
 *
 * @param reported the split the metrics are reported on (test, or validation when test is empty;
 *     with --folds "test, K folds")
 * @param accuracy that split's accuracy (with --folds the folds' mean)
 * @param macroF1 that split's macro-F1 (with --folds the folds' mean)
 * @param epochs epochs run (early stopping may end before the asked number; with --folds the most
 *     any fold ran)
 * @param bestEpoch the epoch whose weights were kept (0 with --folds: each fold keeps its own)
 * @param folds the cross-validation's folds; 0 for one split
 * @param macroF1Sd the folds' standard deviation of the test macro-F1 (0 for one split)
 * @param rocAuc with --folds and two classes, the folds' mean test ROC AUC; else NaN
 */
public record FinetuneResult(
    String output,
    List<String> classes,
    String reported,
    double accuracy,
    double macroF1,
    int epochs,
    int bestEpoch,
    double seconds,
    int folds,
    double macroF1Sd,
    double rocAuc,
    Map<String, Object> summary) {}
