package org.cellspark.jobs.perturb;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cellspark.perturb.Perturbation;
import org.cellspark.perturb.PerturbationBuilder;
import org.cellspark.perturb.PerturbationType;

/**
 * A cell's list of perturbations, the same on the driver (which counts them to plan work units) and
 * on executors (which build a unit's slice of them):
 *
 * <ul>
 *   <li>all genes: each candidate gene position alone (or with the anchor gene);
 *   <li>a gene list, one screen per gene: each listed gene the perturbation applies to (genes the
 *       cell has; for overexpression every listed gene, inserted when absent);
 *   <li>a group: all listed genes together, once (for delete, only cells that have them all, as
 *       upstream).
 * </ul>
 */
final class PerturbationPlanner implements Serializable {
  private static final long serialVersionUID = 1L;

  enum Mode {
    ALL,
    EACH_LISTED,
    GROUP
  }

  private final Mode mode;
  private final PerturbationType type;
  private final int rankShift;
  private final int maxLength;
  private final int clsId;
  private final int eosId;
  private final int[] listed; // tokens of the listed genes
  private final int anchor; // anchor gene token, or -1

  PerturbationPlanner(
      Mode mode,
      PerturbationType type,
      int rankShift,
      int maxLength,
      int clsId,
      int eosId,
      int[] listed,
      int anchor) {
    this.mode = mode;
    this.type = type;
    this.rankShift = rankShift;
    this.maxLength = maxLength;
    this.clsId = clsId;
    this.eosId = eosId;
    this.listed = listed;
    this.anchor = anchor;
  }

  private PerturbationBuilder builder() {
    return new PerturbationBuilder(type, rankShift, maxLength, clsId, eosId);
  }

  /** The cell's perturbation "slots": candidate positions, or listed tokens that apply. */
  int[] slots(int[] cell) {
    PerturbationBuilder b = builder();
    switch (mode) {
      case ALL -> {
        int[] candidates = b.candidates(cell);
        if (anchor < 0) {
          return candidates;
        }
        int at = position(cell, anchor);
        return at < 0 ? new int[0] : Arrays.stream(candidates).filter(p -> p != at).toArray();
      }
      case EACH_LISTED -> {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < listed.length; i++) {
          if (type == PerturbationType.OVEREXPRESS || position(cell, listed[i]) >= 0) {
            out.add(i);
          }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
      }
      default -> {
        if (type != PerturbationType.OVEREXPRESS) {
          for (int t : listed) {
            if (position(cell, t) < 0) {
              return new int[0];
            }
          }
        }
        return new int[] {0};
      }
    }
  }

  /** Perturbations for slots {@code [from, to)} of the cell's list; null where nothing changes. */
  List<Perturbation> perturbations(int[] cell, int from, int to) {
    PerturbationBuilder b = builder();
    int[] slots = slots(cell);
    List<Perturbation> out = new ArrayList<>(to - from);
    for (int k = from; k < to && k < slots.length; k++) {
      Perturbation p =
          switch (mode) {
            case ALL ->
                anchor < 0
                    ? b.single(cell, slots[k])
                    : b.withAnchor(cell, position(cell, anchor), slots[k]);
            case EACH_LISTED -> b.group(cell, new int[] {listed[slots[k]]});
            case GROUP -> b.group(cell, listed);
          };
      out.add(p);
    }
    return out;
  }

  private int position(int[] cell, int token) {
    int first = cell.length > 0 && clsId >= 0 && cell[0] == clsId ? 1 : 0;
    int end =
        cell.length > 0 && eosId >= 0 && cell[cell.length - 1] == eosId
            ? cell.length - 1
            : cell.length;
    for (int p = first; p < end; p++) {
      if (cell[p] == token) {
        return p;
      }
    }
    return -1;
  }
}
