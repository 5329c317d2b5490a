package org.cellspark.jobs.classify;

import java.io.Serializable;
import java.util.List;
import org.cellspark.jobs.common.OptionProblems;

/**
 * --balance: attributes of the groups (a donor's age, sex, disease) that a group split should leave
 * alike on every side (upstream's {@code attr_to_balance}, {@code max_trials}, {@code
 * pval_threshold}).
 *
 * @param columns the attributes, each one value per group; none: no balancing
 * @param trials how many splits to try at most
 * @param minP the p-value every comparison must reach for a split to be taken at once
 */
public record Balance(List<String> columns, int trials, double minP) implements Serializable {
  public static final int DEFAULT_TRIALS = 100;
  public static final double DEFAULT_MIN_P = 0.1;

  public Balance {
    columns = columns == null ? List.of() : List.copyOf(columns);
  }

  public static Balance none() {
    return new Balance(List.of(), DEFAULT_TRIALS, DEFAULT_MIN_P);
  }

  public boolean isEmpty() {
    return columns.isEmpty();
  }

  /** The options' problems: balancing needs whole groups dealt by Cellspark. */
  public void addProblems(OptionProblems problems, String group, String splitGroups, int folds) {
    if (isEmpty()) {
      return;
    }
    if (group == null) {
      problems.add(
          "--balance needs --group: it balances the groups' attributes between splits, e.g."
              + " --group donor --balance age,sex");
    }
    if (splitGroups != null) {
      problems.add("--balance and --split-groups: give one (--split-groups fixes the split)");
    }
    if (folds > 1) {
      problems.add("--balance and --folds: give one (folds are dealt by cells, not balanced)");
    }
    if (trials < 1 || trials > 10_000) {
      problems.add("--balance-trials must be from 1 to 10000, not " + trials);
    }
    if (!(minP >= 0 && minP <= 1)) {
      problems.add("--balance-p must be in [0, 1], not " + minP);
    }
  }
}
