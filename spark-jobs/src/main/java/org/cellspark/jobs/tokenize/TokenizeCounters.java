package org.cellspark.jobs.tokenize;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/** Cell counts by fate, gathered from executors (read after the write action finishes). */
final class TokenizeCounters implements Serializable {
  private static final long serialVersionUID = 1L;

  final LongAccumulator cellsRead;
  final LongAccumulator droppedFilterPass;
  final LongAccumulator droppedEmpty;
  final LongAccumulator nCountsComputed;
  final LongAccumulator truncated;
  final LongAccumulator cellsWritten;
  final LongAccumulator tokensWritten;

  TokenizeCounters(SparkContext sc) {
    cellsRead = sc.longAccumulator("tokenize: cells read");
    droppedFilterPass = sc.longAccumulator("tokenize: dropped by filter_pass");
    droppedEmpty = sc.longAccumulator("tokenize: dropped, no vocabulary gene detected");
    nCountsComputed = sc.longAccumulator("tokenize: n_counts computed");
    truncated = sc.longAccumulator("tokenize: cells with more genes than fit (truncated)");
    cellsWritten = sc.longAccumulator("tokenize: cells written");
    tokensWritten = sc.longAccumulator("tokenize: tokens written");
  }
}
