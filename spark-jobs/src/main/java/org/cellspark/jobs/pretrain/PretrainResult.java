package org.cellspark.jobs.pretrain;

import java.util.Map;

/**
 * What a pretraining run did: where it wrote, its cells, and the kept epoch's validation numbers.
 *
 * @param validationAccuracy the share of masked genes the model named right
 * @param validationLoss the mean cross-entropy over the masked genes (its exp is the perplexity)
 * @param lossBefore the same with the model as it started
 * @param accuracyBefore the same
 */
public record PretrainResult(
    String output,
    long trainingCells,
    long validationCells,
    int epochsRun,
    int bestEpoch,
    double validationLoss,
    double validationAccuracy,
    double lossBefore,
    double accuracyBefore,
    double seconds,
    Map<String, Object> summary) {}
