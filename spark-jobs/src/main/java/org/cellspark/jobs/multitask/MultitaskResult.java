package org.cellspark.jobs.multitask;

import java.util.List;
import java.util.Map;

/**
 * What a multi-task fine-tune did: where it wrote, each task's classes and its scores on the split
 * reported (test, or validation when no cell was dealt to test).
 *
 * @param macroF1 each task's macro-F1 on the reported split, by task
 */
public record MultitaskResult(
    String output,
    Map<String, List<String>> classes,
    String reported,
    Map<String, Double> accuracy,
    Map<String, Double> macroF1,
    int epochs,
    int bestEpoch,
    double seconds,
    Map<String, Object> summary) {}
