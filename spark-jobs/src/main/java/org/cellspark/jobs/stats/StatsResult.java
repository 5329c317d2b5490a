package org.cellspark.jobs.stats;

import java.util.Map;

/**
 * What `cellspark stats` wrote.
 *
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param table the table's name: {@code <table>.csv} and {@code <table>/} (Parquet) in the output
 * @param rows rows of the table
 * @param seconds wall time
 * @param summary what _cellspark.json holds
 */
public record StatsResult(
    String output, String table, long rows, double seconds, Map<String, Object> summary) {}
