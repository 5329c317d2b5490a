package org.cellspark.jobs.perturb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Cuts each cell's perturbations into work units of similar estimated cost and spreads units over
 * tasks so that none straggles.
 *
 * <p>Cost of one perturbation (one forward pass) of a cell of L tokens with hidden size h, per
 * layer: the projections and feed-forward take 12·L·h² multiply-adds, attention 2·L²·h; so cost ∝
 * L·(L + 6h): linear in L for short cells, quadratic for long ones (a cell's whole screen, L
 * perturbations, grows as L³). A cell's perturbations are cut into units of at most {@link
 * #UNIT_COST}, or of a {@link #MIN_UNITS}th of the whole screen when that is less, so that small
 * screens still spread over many tasks. Both depend on the data and the model only, never on the
 * cluster: a resumed run plans the same units. Units go to tasks most costly first, each to the
 * task with the least work so far (LPT scheduling: within 4/3 of the optimal longest task).
 */
final class WorkPlan {
  /** 64 perturbations of a 2,048-token cell of a V1 model (h = 256); ~300 of an 800-token one. */
  static final double UNIT_COST = perturbationCost(2048, 256) * 64;

  /** Most perturbations in one unit, whatever the cell length. */
  static final int MAX_PER_UNIT = 1024;

  /** A screen is cut into at least this many units (when its cells have enough perturbations). */
  static final int MIN_UNITS = 64;

  /** Fewest perturbations in a unit: each unit also runs its cell's original once. */
  static final int MIN_PER_UNIT = 8;

  private WorkPlan() {}

  /** A cell to perturb: its id, token count and number of perturbations. */
  record CellWork(String cellId, int length, int perturbations) {}

  /** Relative cost of one forward pass of {@code length} tokens. */
  static double perturbationCost(int length, int hidden) {
    return (double) length * (length + 6.0 * hidden);
  }

  /** Units for the cells, numbered in cell order (cells sorted by id by the caller). */
  static List<WorkUnit> units(List<CellWork> cells, int hidden) {
    double total = 0;
    for (CellWork c : cells) {
      total += c.perturbations() * perturbationCost(c.length(), hidden);
    }
    double unitCost = Math.min(UNIT_COST, total / MIN_UNITS);
    List<WorkUnit> out = new ArrayList<>();
    for (CellWork c : cells) {
      double each = perturbationCost(c.length(), hidden);
      int perUnit =
          (int)
              Math.min(
                  MAX_PER_UNIT, Math.max(MIN_PER_UNIT, Math.floor(unitCost / Math.max(1, each))));
      for (int from = 0; from < c.perturbations(); from += perUnit) {
        int to = Math.min(c.perturbations(), from + perUnit);
        out.add(new WorkUnit(out.size(), c.cellId(), from, to, (to - from) * each));
      }
    }
    return out;
  }

  /** The task (0..tasks-1) of each unit, by LPT; returns an array indexed like {@code units}. */
  static int[] assign(List<WorkUnit> units, int tasks) {
    int[] out = new int[units.size()];
    Integer[] order = new Integer[units.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        Comparator.comparingDouble((Integer i) -> -units.get(i).cost()).thenComparing(i -> i));
    PriorityQueue<double[]> load =
        new PriorityQueue<>(
            Comparator.<double[]>comparingDouble(a -> a[0]).thenComparingDouble(a -> a[1]));
    for (int t = 0; t < tasks; t++) {
      load.add(new double[] {0, t});
    }
    for (int i : order) {
      double[] least = load.poll();
      out[i] = (int) least[1];
      least[0] += units.get(i).cost();
      load.add(least);
    }
    return out;
  }
}
