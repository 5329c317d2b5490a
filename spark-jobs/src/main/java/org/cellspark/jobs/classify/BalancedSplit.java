package org.cellspark.jobs.classify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.cellspark.jobs.common.CsvField;

/**
 * A group split whose sides are alike in the groups' attributes (upstream's {@code
 * balance_attr_splits}): splits are dealt as {@link Split#assignGroups} deals them, with seed, seed
 * + 1, ... until one passes, and each is tested attribute by attribute, training's groups against
 * validation's and against test's: a number (age) by the Wilcoxon rank-sum test (Mann-Whitney U,
 * normal approximation, as scipy's {@code ranksums} upstream uses), a category (sex, disease) by a
 * chi-square test of independence on the groups' counts. The first split whose every p-value
 * reaches the threshold is taken; when none does, the one with the highest mean p-value (what
 * upstream means to do: its code takes the last trial's). Each group counts once, whatever its
 * cells.
 */
final class BalancedSplit {
  /** One attribute's value per group (groups without a value absent), and whether a number. */
  record Attribute(String name, Map<String, Object> byGroup, boolean numeric) {}

  /**
   * The split taken, and what was tried.
   *
   * @param trial the trial taken (its seed is the job's seed + trial)
   * @param met whether its every p-value reached the threshold
   * @param csv balance.csv: every trial tried, each attribute's sides and p-values
   */
  record Result(
      Map<String, Split> assignment,
      int trial,
      int tried,
      boolean met,
      Map<String, Map<String, Double>> pValues,
      String csv) {}

  private static final List<Split> HELD_OUT = List.of(Split.VALIDATION, Split.TEST);

  private BalancedSplit() {}

  static Result choose(
      Map<String, Long> cellsPerGroup,
      double[] fractions,
      long seed,
      String column,
      List<Attribute> attributes,
      Balance balance) {
    StringBuilder csv = new StringBuilder("trial");
    for (Attribute a : attributes) {
      csv.append(',').append(a.name()).append("_train");
      for (Split s : HELD_OUT) {
        csv.append(',').append(a.name()).append('_').append(s.label());
      }
      for (Split s : HELD_OUT) {
        csv.append(',').append(a.name()).append('_').append(s.label()).append("_p");
      }
    }
    csv.append(",mean_p\n");
    Result best = null; // the highest mean p-value so far (the first of equals)
    double bestMean = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < balance.trials(); t++) {
      Map<String, Split> assignment =
          Split.assignGroups(cellsPerGroup, fractions, seed + t, column);
      Map<String, Map<String, Double>> p = new LinkedHashMap<>();
      csv.append(t);
      boolean met = true;
      double sum = 0;
      int n = 0;
      for (Attribute a : attributes) {
        Map<Split, List<Object>> sides = sides(a, assignment);
        csv.append(',').append(describe(sides.get(Split.TRAIN), a.numeric()));
        for (Split s : HELD_OUT) {
          csv.append(',').append(describe(sides.get(s), a.numeric()));
        }
        Map<String, Double> perSplit = new LinkedHashMap<>();
        for (Split s : HELD_OUT) {
          double v = pValue(sides.get(Split.TRAIN), sides.get(s), a.numeric());
          perSplit.put(s.label(), v);
          csv.append(',').append(Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v));
          if (!Double.isNaN(v)) {
            met &= v >= balance.minP();
            sum += v;
            n++;
          }
        }
        p.put(a.name(), perSplit);
      }
      double mean = n == 0 ? 1 : sum / n;
      csv.append(String.format(Locale.ROOT, ",%.6f%n", mean));
      if (met) {
        return new Result(assignment, t, t + 1, true, p, csv.toString());
      }
      if (mean > bestMean) {
        best = new Result(assignment, t, balance.trials(), false, p, null);
        bestMean = mean;
      }
    }
    return new Result(
        best.assignment(), best.trial(), best.tried(), false, best.pValues(), csv.toString());
  }

  /** Each split's groups' values of the attribute (groups without one left out). */
  private static Map<Split, List<Object>> sides(Attribute a, Map<String, Split> assignment) {
    Map<Split, List<Object>> out = new TreeMap<>();
    for (Split s : Split.values()) {
      out.put(s, new ArrayList<>());
    }
    assignment.forEach(
        (group, split) -> {
          Object v = a.byGroup().get(group);
          if (v != null) {
            out.get(split).add(v);
          }
        });
    return out;
  }

  /** NaN when a side has no value to compare. */
  static double pValue(List<Object> train, List<Object> other, boolean numeric) {
    if (train.isEmpty() || other.isEmpty()) {
      return Double.NaN;
    }
    if (numeric) {
      return new MannWhitneyUTest()
          .mannWhitneyUTest(
              train.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray(),
              other.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray());
    }
    List<String> categories =
        java.util.stream.Stream.concat(train.stream(), other.stream())
            .map(String::valueOf)
            .distinct()
            .sorted()
            .toList();
    if (categories.size() < 2) {
      return 1; // one category on both sides: nothing differs
    }
    long[][] counts = new long[2][categories.size()];
    train.forEach(v -> counts[0][categories.indexOf(String.valueOf(v))]++);
    other.forEach(v -> counts[1][categories.indexOf(String.valueOf(v))]++);
    return new ChiSquareTest().chiSquareTest(counts);
  }

  /** A side in balance.csv: a number's mean, a category's counts (F:2 M:1). */
  private static String describe(List<Object> values, boolean numeric) {
    if (values.isEmpty()) {
      return "";
    }
    if (numeric) {
      return String.format(
          Locale.ROOT,
          "%.4g",
          values.stream().mapToDouble(v -> ((Number) v).doubleValue()).average().orElse(0));
    }
    Map<String, Integer> counts = new TreeMap<>();
    values.forEach(v -> counts.merge(String.valueOf(v), 1, Integer::sum));
    StringBuilder b = new StringBuilder();
    counts.forEach((k, n) -> b.append(b.length() == 0 ? "" : " ").append(k).append(':').append(n));
    return CsvField.of(b.toString());
  }
}
