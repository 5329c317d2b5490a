package org.cellspark.jobs.perturb;

import java.util.Map;

/**
 * What a screen did.
 *
 * @param output the output folder, as Spark and Hadoop take a path (Hadoop's Path.toString: not
 *     percent-encoded)
 * @param cells cells screened
 * @param units work units in the plan
 * @param unitsResumed units an earlier, stopped run had finished (not computed again)
 * @param rows rows of cell_shifts/ (perturbations that changed a cell)
 * @param genePairs rows of gene_shifts/ (0 without --gene-shifts)
 * @param seconds wall time of the whole job
 * @param screenSeconds wall time of this run's model work
 * @param stragglerRatio max / median task time of this run's model work (1 = balanced)
 * @param summary what _cellspark.json holds
 */
public record PerturbResult(
    String output,
    long cells,
    int units,
    int unitsResumed,
    long rows,
    long genePairs,
    double seconds,
    double screenSeconds,
    double stragglerRatio,
    Map<String, Object> summary) {}
