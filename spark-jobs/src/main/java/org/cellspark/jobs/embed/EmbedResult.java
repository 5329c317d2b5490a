package org.cellspark.jobs.embed;

import java.util.Map;

/**
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param cells cells embedded (rows in cells/)
 * @param states rows in state_embeddings/ (0 without --summary)
 * @param genes rows in gene_embeddings/ (0 without --gene-embeddings)
 * @param seconds wall time of the whole job
 * @param summary the job summary written to _cellspark.json
 */
public record EmbedResult(
    String output,
    long cells,
    long states,
    long genes,
    double seconds,
    Map<String, Object> summary) {
  public double cellsPerSecond() {
    return seconds > 0 ? cells / seconds : 0;
  }
}
