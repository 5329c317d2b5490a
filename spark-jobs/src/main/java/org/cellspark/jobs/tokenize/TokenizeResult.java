package org.cellspark.jobs.tokenize;

import java.util.Map;
import org.cellspark.jobs.common.JobSummary;

/**
 * What a tokenize run did.
 *
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param cellsRead cells in the inputs
 * @param cellsWritten token rows written
 * @param droppedFilterPass cells whose filter-pass value is not 1
 * @param droppedEmpty cells with no detected vocabulary gene
 * @param nCountsComputed cells whose n_counts was computed (no obs column)
 * @param truncated cells with more genes than fit the input size
 * @param seconds wall time of the whole job
 * @param summary the job summary written to _cellspark.json
 */
public record TokenizeResult(
    String output,
    long cellsRead,
    long cellsWritten,
    long droppedFilterPass,
    long droppedEmpty,
    long nCountsComputed,
    long truncated,
    double seconds,
    Map<String, Object> summary) {

  /**
   * The result of a run whose counters say what happened, {@code written} as Parquet counts them.
   */
  static TokenizeResult of(
      String output, TokenizeCounters counters, long written, double seconds, JobSummary summary) {
    return new TokenizeResult(
        output,
        counters.cellsRead.value(),
        written,
        counters.droppedFilterPass.value(),
        counters.droppedEmpty.value(),
        counters.nCountsComputed.value(),
        counters.truncated.value(),
        seconds,
        summary.asMap());
  }

  public double cellsPerSecond() {
    return seconds > 0 ? cellsRead / seconds : 0;
  }
}
