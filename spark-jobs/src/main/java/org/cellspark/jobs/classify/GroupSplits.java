package org.cellspark.jobs.classify;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.NamedLists;

/**
 * Which groups (donors, patients) go to which split, given rather than dealt (upstream's {@code
 * split_id_dict}): read from a JSON object as upstream writes the dict ({@code {"attr_key":
 * "individual", "train": [...], "eval": [...], "test": [...]}}), the same pickled, or a table of
 * group and split (a job's own splits.csv: a split made once can be given again). "eval" and
 * "valid" name the validation split. A group in two splits, or a split of another name, is refused.
 *
 * @param source the file, for messages and the summary
 * @param column the group column the file names (its attr_key), or null
 * @param splitOf each listed group's split: train, validation or test
 */
public record GroupSplits(String source, String column, Map<String, String> splitOf)
    implements Serializable {
  private static final String COLUMN_KEY = "attr_key";
  private static final Map<String, String> SPLIT_NAMES =
      Map.of(
          "train", "train",
          "eval", "validation",
          "valid", "validation",
          "validation", "validation",
          "test", "test");

  public GroupSplits {
    splitOf = Map.copyOf(splitOf);
  }

  /** The file at {@code location}, read and checked; null when no file is given. */
  public static GroupSplits read(String location, Configuration hadoop) {
    if (location == null) {
      return null;
    }
    NamedLists file =
        new NamedLists(
            location,
            "--split-groups",
            "a dict of splits (train, eval or validation, test) to lists of groups, as upstream's"
                + " split_id_dict",
            "a group and its split");
    return of(location, file.read(hadoop, Set.of("group"), Set.of(COLUMN_KEY)));
  }

  static GroupSplits of(String location, Map<String, List<String>> lists) {
    String column = null;
    Map<String, String> splitOf = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : lists.entrySet()) {
      String key = e.getKey().strip().toLowerCase(Locale.ROOT);
      if (key.equals(COLUMN_KEY)) {
        column = e.getValue().isEmpty() ? null : e.getValue().get(0);
        continue;
      }
      String split = SPLIT_NAMES.get(key);
      if (split == null) {
        throw UserException.of(
            "--split-groups %s names a split '%s'; the splits are train, validation (or eval)"
                + " and test",
            location, e.getKey());
      }
      for (String group : e.getValue()) {
        String before = splitOf.put(group, split);
        if (before != null && !before.equals(split)) {
          throw UserException.of(
              "--split-groups %s lists group '%s' in both %s and %s; a group goes to one split",
              location, group, before, split);
        }
      }
    }
    if (!splitOf.containsValue("train")) {
      throw UserException.of(
          "--split-groups %s lists no training group: give 'train' its groups", location);
    }
    return new GroupSplits(location, column, splitOf);
  }

  /**
   * The group column: --group's, else the file's attr_key; refused when neither names one or they
   * differ.
   */
  public String groupColumn(String groupOption) {
    if (groupOption == null && column == null) {
      throw UserException.of(
          "--split-groups %s does not say which column holds the groups (no attr_key): name it"
              + " with --group (e.g. --group donor)",
          source);
    }
    if (groupOption != null && column != null && !groupOption.equals(column)) {
      throw UserException.of(
          "--group %s, but --split-groups %s lists groups of %s (its attr_key): give one column",
          groupOption, source, column);
    }
    return groupOption != null ? groupOption : column;
  }
}
