package org.cellspark.jobs.medians;

import java.util.Map;

/**
 * What `cellspark medians` wrote.
 *
 * @param output the vocabulary folder, as Spark and Hadoop take a path (not percent-encoded)
 * @param cells cells counted (after filter_pass)
 * @param genesDetected genes non-zero in at least one counted cell
 * @param genesWritten genes in the vocabulary (detected in at least --min-cells cells, and listed)
 * @param seconds wall time
 * @param summary what _cellspark.json holds
 */
public record MediansResult(
    String output,
    long cells,
    long genesDetected,
    long genesWritten,
    double seconds,
    Map<String, Object> summary) {}
