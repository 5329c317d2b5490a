package org.cellspark.jobs.finetune;

import java.util.List;
import java.util.Map;

/**
 * What a fine-tune wrote.
 *
 * @param reported the split the metrics are reported on (test, or validation when test is empty)
 * @param accuracy that split's accuracy
 * @param macroF1 that split's macro-F1
 * @param epochs epochs run (early stopping may end before the asked number)
 * @param bestEpoch the epoch whose weights were kept
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
    Map<String, Object> summary) {}
