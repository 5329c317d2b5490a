package org.cellspark.jobs.perturb;

import java.io.Serializable;

/**
 * A slice of one cell's perturbations: the unit of work, of scheduling and of checkpointing.
 *
 * @param id the unit's number in the plan (stable across runs with the same inputs and options)
 * @param cellId the cell
 * @param from first perturbation of the cell's list (candidate genes, or listed genes)
 * @param to one past the last
 * @param cost estimated cost: perturbations x {@link WorkPlan#perturbationCost}
 */
public record WorkUnit(int id, String cellId, int from, int to, double cost)
    implements Serializable {}
