package org.cellspark.jobs.plot;

import java.util.List;

/**
 * What `cellspark plot` drew.
 *
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param cells the cells drawn (the sample)
 * @param heatmapCells the cells a heatmap shows (0 without one)
 * @param files the files written, by name
 * @param seconds wall time
 */
public record PlotResult(
    String output, int cells, int heatmapCells, List<String> files, double seconds) {}
