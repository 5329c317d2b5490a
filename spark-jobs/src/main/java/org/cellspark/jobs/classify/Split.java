package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.cellspark.error.UserException;

/**
 * Train / validation / test, and how groups (donors, patients) are dealt to them: every group goes
 * whole to one split, so no donor's cells are on both sides. Groups are shuffled with the seed
 * (java.util.Random: the same on every JVM), each split with a non-zero fraction first gets one
 * group, then each next group goes to the split furthest below its share of cells.
 */
enum Split {
  TRAIN,
  VALIDATION,
  TEST;

  String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Map<String, Split> assignGroups(
      Map<String, Long> cellsPerGroup, double[] fractions, long seed, String column) {
    List<String> groups = new ArrayList<>(cellsPerGroup.keySet());
    Collections.sort(groups);
    Collections.shuffle(groups, new Random(seed));
    List<Split> needed = new ArrayList<>();
    for (Split s : values()) {
      if (fractions[s.ordinal()] > 0) {
        needed.add(s);
      }
    }
    if (groups.size() < needed.size()) {
      throw UserException.of(
          "--group %s has %d distinct value(s); splitting %s needs at least %d so that no group is"
              + " on two sides: use a column with more groups, or --split with fewer non-zero parts"
              + " (e.g. 0.8,0.2,0)",
          column, groups.size(), needed.stream().map(Split::label).toList(), needed.size());
    }
    long total = cellsPerGroup.values().stream().mapToLong(Long::longValue).sum();
    long[] filled = new long[3];
    Map<String, Split> out = new LinkedHashMap<>();
    int i = 0;
    // Smallest shares first, so a 10% test split is not starved by a large early group.
    List<Split> seedOrder = new ArrayList<>(needed);
    seedOrder.sort((a, b) -> Double.compare(fractions[a.ordinal()], fractions[b.ordinal()]));
    for (Split s : seedOrder) {
      String g = groups.get(i++);
      out.put(g, s);
      filled[s.ordinal()] += cellsPerGroup.get(g);
    }
    for (; i < groups.size(); i++) {
      String g = groups.get(i);
      Split best = null;
      double deficit = Double.NEGATIVE_INFINITY;
      for (Split s : needed) {
        double d = fractions[s.ordinal()] * total - filled[s.ordinal()];
        if (d > deficit) {
          deficit = d;
          best = s;
        }
      }
      out.put(g, best);
      filled[best.ordinal()] += cellsPerGroup.get(g);
    }
    return out;
  }

  /**
   * Groups dealt into {@code folds} folds of about equal cells: shuffled with the seed as {@link
   * #assignGroups} shuffles them, the first {@code folds} one to each fold, then each next group to
   * the fold with the fewest cells so far (the lowest-numbered of equals). Fold numbers from 0.
   */
  static Map<String, Integer> assignFolds(
      Map<String, Long> cellsPerGroup, int folds, long seed, String column) {
    List<String> groups = new ArrayList<>(cellsPerGroup.keySet());
    Collections.sort(groups);
    Collections.shuffle(groups, new Random(seed));
    if (groups.size() < folds) {
      throw UserException.of(
          "--group %s has %d distinct value(s); --folds %d needs at least %d, a group in every"
              + " fold: use fewer --folds, or a column with more groups",
          column, groups.size(), folds, folds);
    }
    long[] filled = new long[folds];
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String g : groups) {
      int least = 0;
      for (int f = 1; f < folds; f++) {
        if (filled[f] < filled[least]) {
          least = f;
        }
      }
      if (out.size() < folds) {
        least = out.size();
      }
      out.put(g, least);
      filled[least] += cellsPerGroup.get(g);
    }
    return out;
  }
}
