package org.cellspark.jobs.classify;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.common.StagedOutput;

/**
 * A label's classes and the train / validation / test split of its cells, made the same way for
 * every job that learns a label (classify on embeddings, finetune on tokens): cells without a label
 * and rare classes left out; whole groups (donors) dealt to one split, or without a group column
 * each cell by a seeded hash of its cell_id (with --stratify, ranked by it within each value of a
 * column, so that every split holds each value's cells in the split's share).
 */
public final class LabelSplits {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LabelSplits.class);

  private LabelSplits() {}

  /**
   * @param label the class column
   * @param group the column whose values never cross splits, or null
   * @param source the input, for messages
   * @param fractions train, validation, test
   * @param given the groups of each split as --split-groups gives them (then {@code group} is their
   *     column, and fractions play no part), or null
   * @param balance the groups' attributes the dealt split should balance (--balance), or none
   * @param stratify the column whose values every split (or fold) holds in the same shares
   *     (--stratify; {@code label}, when the input has no such column, is the label's), or null
   */
  public record Settings(
      String label,
      String group,
      String source,
      double[] fractions,
      long seed,
      long minClassSize,
      double rareThreshold,
      GroupSplits given,
      Balance balance,
      String stratify) {
    public Settings {
      balance = balance == null ? Balance.none() : balance;
    }
  }

  /**
   * What a job's options say about its classes and splits; finetune's, finetune-multitask's and
   * classify's options records implement it with their own components.
   */
  public interface SplitOptions {
    String group();

    double[] fractions();

    long seed();

    long minClassSize();

    double rareThreshold();

    Balance balance();

    String stratify();
  }

  /**
   * The settings of {@code label}'s classes and splits in {@code source} (both for messages), as
   * {@code o} and the groups --split-groups gave (or null) say.
   */
  public static Settings settings(String label, String source, SplitOptions o, GroupSplits given) {
    return new Settings(
        label,
        o.group(),
        source,
        o.fractions(),
        o.seed(),
        o.minClassSize(),
        o.rareThreshold(),
        given,
        o.balance(),
        o.stratify());
  }

  /**
   * The label's classes: kept (at least --min-class-size cells and --rare-threshold of the labelled
   * cells), dropped as rare (with their sizes), and the cells without a label.
   */
  public record Classes(List<String> kept, Map<String, Long> dropped, long unlabelled) {
    public static Classes of(Dataset<Row> labelled, long unlabelled, Settings o) {
      Map<String, Long> classCounts = counts(labelled, "_label");
      long total = classCounts.values().stream().mapToLong(Long::longValue).sum();
      List<String> kept = new ArrayList<>();
      Map<String, Long> dropped = new TreeMap<>();
      classCounts.forEach(
          (c, n) -> {
            if (n >= o.minClassSize() && n >= o.rareThreshold() * total) {
              kept.add(c);
            } else {
              dropped.put(c, n);
            }
          });
      if (kept.size() < 2) {
        throw UserException.of(
            "--label %s of %s has %d class(es) with enough cells (%s); a classifier needs two or"
                + " more (lower --min-class-size / --rare-threshold, or choose another label)",
            o.label(), o.source(), kept.size(), classCounts);
      }
      return new Classes(kept, dropped, unlabelled);
    }

    public Map<String, Object> asMap(String[] names) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kept", Arrays.asList(names));
      m.put("dropped_rare", dropped);
      m.put("cells_without_label", unlabelled);
      return m;
    }
  }

  /** Most values --stratify takes: it is for a label-like column, not a cell's own value. */
  static final int MAX_STRATA = 10_000;

  /** A null value's stratum key (its cells are a stratum of their own). */
  private static final String NULL_STRATUM = "\u0000null";

  /** The most folds: a fold's test part is at least a twentieth of the cells. */
  public static final int MAX_FOLDS = 20;

  /**
   * --folds' problems (0 or 1: one split, else 2 to {@value #MAX_FOLDS}; not with --split-groups);
   * true when the folds are fine.
   */
  public static boolean addFoldsProblems(OptionProblems problems, int folds, String splitGroups) {
    if (folds > 1 && splitGroups != null) {
      problems.add(
          "--folds and --split-groups: give one (cross-validation deals its folds; --split-groups"
              + " names one split's groups)");
    }
    if (folds != 0 && (folds < 2 || folds > MAX_FOLDS)) {
      problems.add(
          "--folds must be 0 or 1 (one split) or from 2 to "
              + MAX_FOLDS
              + " (upstream's num_crossval_splits is 5), not "
              + folds);
      return false;
    }
    return true;
  }

  /** --stratify's problems: it deals cells, so it cannot go with whole groups. */
  public static void addStratifyProblems(
      OptionProblems problems, String stratify, String group, String splitGroups) {
    if (stratify == null) {
      return;
    }
    if (stratify.isBlank()) {
      problems.add("--stratify needs a column, e.g. --stratify cell_type");
    } else if (group != null || splitGroups != null) {
      problems.add(
          "--stratify and --group / --split-groups: give one (--stratify deals cells, a group"
              + " column deals whole groups; --balance keeps the groups' attributes alike)");
    }
  }

  /**
   * Adds _split: by group (whole groups to one side: dealt, or as --split-groups lists them, the
   * cells of groups it does not list left out) or, without --group, by a hash of cell_id.
   */
  public static Dataset<Row> withSplit(
      SparkSession spark,
      Dataset<Row> labelled,
      Settings o,
      Map<String, Object> info,
      StagedOutput out) {
    double[] f = o.fractions();
    if (o.given() == null) {
      info.put("fractions", Map.of("train", f[0], "validation", f[1], "test", f[2]));
      info.put("seed", o.seed());
    }
    if (o.group() == null && o.stratify() != null) {
      Dataset<Row> dealt =
          withStratifiedSegment(
              labelled, o, null, "split", new double[] {f[0], f[0] + f[1]}, "_segment", info);
      return dealt
          .withColumn(
              "_split",
              when(col("_segment").equalTo(0), Split.TRAIN.label())
                  .when(col("_segment").equalTo(1), Split.VALIDATION.label())
                  .otherwise(Split.TEST.label()))
          .drop("_segment");
    }
    if (o.group() == null) {
      Column u = uniform(o.seed());
      info.put("by", "cell (hash of cell_id)");
      return labelled.withColumn(
          "_split",
          when(u.lt(f[0]), Split.TRAIN.label())
              .when(u.lt(f[0] + f[1]), Split.VALIDATION.label())
              .otherwise(Split.TEST.label()));
    }
    Grouped groups = Grouped.of(labelled, o.group());
    Dataset<Row> grouped = groups.cells();
    Map<String, Long> perGroup = groups.cellsPerGroup();
    Map<String, Split> assignment;
    if (o.given() != null) {
      assignment = given(perGroup, o.given(), info);
    } else if (!o.balance().isEmpty()) {
      assignment = balanced(grouped, perGroup, o, info, out);
    } else {
      assignment = Split.assignGroups(perGroup, f, o.seed(), o.group());
    }
    List<Row> rows = new ArrayList<>();
    StringBuilder csv = new StringBuilder("group,split,cells\n");
    assignment.forEach(
        (g, s) -> {
          rows.add(RowFactory.create(g, s.label()));
          csv.append(CsvField.of(g))
              .append(',')
              .append(s.label())
              .append(',')
              .append(perGroup.get(g))
              .append('\n');
        });
    out.writeText("splits.csv", csv.toString());
    StructType schema =
        new StructType()
            .add("_group", DataTypes.StringType, false)
            .add("_split", DataTypes.StringType, false);
    Dataset<Row> table = spark.createDataFrame(rows, schema);
    info.put(
        "by",
        "group column "
            + o.group()
            + (o.given() == null ? "" : ", groups as --split-groups " + o.given().source()));
    info.put("groups", assignment.size());
    info.put("cells_without_group", groups.withoutGroup());
    Map<String, Long> cellsPerSplit = new TreeMap<>();
    assignment.forEach((g, s) -> cellsPerSplit.merge(s.label(), perGroup.get(g), Long::sum));
    info.put("cells", cellsPerSplit);
    return grouped.join(org.apache.spark.sql.functions.broadcast(table), "_group");
  }

  /**
   * Adds _roles (for each fold, the cell's part in it: "test" in its own fold, "train" or
   * "validation" in the others), for cross-validation over {@code folds} folds. Without a group
   * column a cell's fold is its split hash (the one {@link #withSplit} uses) scaled to the folds,
   * and a second hash of its cell_id makes it a validation cell of the folds it is not in with the
   * validation share of train + validation (--split's test share plays no part). With a group
   * column whole groups are dealt into folds of about equal cells, and for each fold the other
   * folds' groups are dealt to train and validation by that share as {@link #withSplit} deals
   * groups (at least one each); splits.csv lists every group's fold and part in each fold.
   */
  public static Dataset<Row> withFolds(
      SparkSession spark,
      Dataset<Row> labelled,
      Settings o,
      int folds,
      Map<String, Object> info,
      StagedOutput out) {
    double[] f = o.fractions();
    double validationShare = f[1] / (f[0] + f[1]);
    info.put("folds", folds);
    info.put("validation_share_of_the_other_folds", validationShare);
    info.put("seed", o.seed());
    if (o.group() == null && o.stratify() != null) {
      double[] bounds = new double[folds - 1];
      for (int k = 1; k < folds; k++) {
        bounds[k - 1] = (double) k / folds;
      }
      Dataset<Row> dealt = withStratifiedSegment(labelled, o, null, "fold", bounds, "_fold", info);
      dealt =
          // Validation cells by value and fold: fold k's validation cells, the other folds' own,
          // are then each value's validation share of the cells outside fold k, to a cell a fold.
          withStratifiedSegment(
              dealt, o, "_fold", "validation", new double[] {validationShare}, "_inner", info);
      Column inner =
          when(col("_inner").equalTo(0), Split.VALIDATION.label()).otherwise(Split.TRAIN.label());
      Column[] roles = new Column[folds];
      for (int k = 0; k < folds; k++) {
        roles[k] = when(col("_fold").equalTo(k), Split.TEST.label()).otherwise(inner);
      }
      return dealt
          .withColumn("_roles", org.apache.spark.sql.functions.array(roles))
          .drop("_fold", "_inner");
    }
    if (o.group() == null) {
      Column fold = org.apache.spark.sql.functions.floor(uniform(o.seed()).multiply(folds));
      Column inner =
          when(uniform(o.seed(), lit("validation")).lt(validationShare), Split.VALIDATION.label())
              .otherwise(Split.TRAIN.label());
      Column[] roles = new Column[folds];
      for (int k = 0; k < folds; k++) {
        roles[k] = when(fold.equalTo(k), Split.TEST.label()).otherwise(inner);
      }
      info.put("by", "cell (hash of cell_id)");
      return labelled.withColumn("_roles", org.apache.spark.sql.functions.array(roles));
    }
    Grouped groups = Grouped.of(labelled, o.group());
    Dataset<Row> grouped = groups.cells();
    Map<String, Long> perGroup = groups.cellsPerGroup();
    Map<String, Integer> foldOf = Split.assignFolds(perGroup, folds, o.seed(), o.group());
    Map<String, String[]> roles = new TreeMap<>();
    perGroup.keySet().forEach(g -> roles.put(g, new String[folds]));
    for (int k = 0; k < folds; k++) {
      Map<String, Long> others = new TreeMap<>();
      for (Map.Entry<String, Integer> e : foldOf.entrySet()) {
        if (e.getValue() == k) {
          roles.get(e.getKey())[k] = Split.TEST.label();
        } else {
          others.put(e.getKey(), perGroup.get(e.getKey()));
        }
      }
      if (others.size() < 2) {
        throw UserException.of(
            "--group %s: fold %d of --folds %d leaves %d other group(s), and training needs one"
                + " to train on and one to validate on: use fewer --folds, or a column with more"
                + " groups (%d here)",
            o.group(), k + 1, folds, others.size(), perGroup.size());
      }
      int fold = k;
      Split.assignGroups(
              others,
              new double[] {1 - validationShare, validationShare, 0},
              o.seed() + k + 1,
              o.group())
          .forEach((g, s) -> roles.get(g)[fold] = s.label());
    }
    List<Row> rows = new ArrayList<>();
    StringBuilder csv = new StringBuilder("group,cells,fold");
    for (int k = 1; k <= folds; k++) {
      csv.append(",fold_").append(k);
    }
    csv.append('\n');
    roles.forEach(
        (g, r) -> {
          int k = foldOf.get(g);
          rows.add(RowFactory.create(g, Arrays.asList(r)));
          csv.append(CsvField.of(g)).append(',').append(perGroup.get(g)).append(',').append(k + 1);
          for (String role : r) {
            csv.append(',').append(role);
          }
          csv.append('\n');
        });
    out.writeText("splits.csv", csv.toString());
    StructType schema =
        new StructType()
            .add("_group", DataTypes.StringType, false)
            .add("_roles", DataTypes.createArrayType(DataTypes.StringType, false), false);
    info.put("by", "group column " + o.group());
    info.put("groups", perGroup.size());
    info.put("cells_without_group", groups.withoutGroup());
    return grouped.join(
        org.apache.spark.sql.functions.broadcast(spark.createDataFrame(rows, schema)), "_group");
  }

  /**
   * Refused before any training, naming the fold: every fold needs test cells, and its other folds
   * training and validation cells. Each fold's cells by part go into the summary's split entry.
   *
   * @param folded cells with _roles ({@link #withFolds})
   * @param source the input, for the message
   * @param group the group column, or null
   */
  public static void requireCellsInEveryFold(
      Dataset<Row> folded,
      int folds,
      String label,
      String source,
      String group,
      Map<String, Object> splitInfo) {
    Map<Integer, Map<String, Long>> perFold = new TreeMap<>();
    for (Row r :
        folded
            .select(org.apache.spark.sql.functions.posexplode(col("_roles")))
            .groupBy("pos", "col")
            .count()
            .collectAsList()) {
      perFold
          .computeIfAbsent(r.getInt(0) + 1, k -> new TreeMap<>())
          .put(r.getString(1), r.getLong(2));
    }
    for (int fold = 1; fold <= folds; fold++) {
      Map<String, Long> parts = perFold.getOrDefault(fold, Map.of());
      for (String part : List.of("train", "validation", "test")) {
        if (parts.getOrDefault(part, 0L) == 0) {
          throw UserException.of(
              "--folds %d: fold %d of --label %s in %s has no %s cells (it has %s); every fold"
                  + " needs test cells and training and validation cells in the other folds: give"
                  + " more cells%s, fewer --folds, or a larger validation share in --split",
              folds,
              fold,
              label,
              source,
              part,
              parts.isEmpty() ? "none" : parts,
              group == null ? "" : " (or groups)");
        }
      }
    }
    splitInfo.put("cells_per_fold", perFold);
  }

  /**
   * The groups dealt so that their --balance attributes are alike on every side ({@link
   * BalancedSplit}); balance.csv lists the trials, the summary the one taken.
   */
  private static Map<String, Split> balanced(
      Dataset<Row> grouped,
      Map<String, Long> perGroup,
      Settings o,
      Map<String, Object> info,
      StagedOutput out) {
    List<BalancedSplit.Attribute> attributes = attributes(grouped, o);
    BalancedSplit.Result r =
        BalancedSplit.choose(perGroup, o.fractions(), o.seed(), o.group(), attributes, o.balance());
    out.writeText("balance.csv", r.csv());
    if (!r.met()) {
      LOG.warn(
          "--balance {}: none of {} splits has every p-value >= {}; taking trial {}, the highest"
              + " mean p-value ({})",
          o.balance().columns(),
          r.tried(),
          o.balance().minP(),
          r.trial(),
          r.pValues());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("columns", o.balance().columns());
    m.put("min_p", o.balance().minP());
    m.put("trials_tried", r.tried());
    m.put("trial_taken", r.trial());
    m.put("seed_taken", o.seed() + r.trial());
    m.put("every_p_reached_min", r.met());
    m.put("p_values", r.pValues());
    info.put("balance", m);
    return r.assignment();
  }

  /** Each --balance column's value per group; refused when a group has two. */
  private static List<BalancedSplit.Attribute> attributes(Dataset<Row> grouped, Settings o) {
    List<String> columns = o.balance().columns();
    List<String> present = Arrays.asList(grouped.columns());
    List<Column> sets = new ArrayList<>();
    for (String c : columns) {
      if (!present.contains(c)) {
        throw UserException.of(
            "--balance %s: %s has no column %s (its columns: %s)",
            c, o.source(), c, String.join(", ", present));
      }
      sets.add(org.apache.spark.sql.functions.collect_set(col(c)).as(c));
    }
    List<Row> rows =
        grouped
            .groupBy("_group")
            .agg(sets.get(0), sets.subList(1, sets.size()).toArray(new Column[0]))
            .orderBy("_group") // the first offending group named, the same every run
            .collectAsList();
    List<BalancedSplit.Attribute> out = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      String c = columns.get(i);
      Map<String, Object> byGroup = new TreeMap<>();
      for (Row r : rows) {
        List<Object> values = r.getList(i + 1);
        if (values.size() > 1) {
          throw UserException.of(
              "--balance %s: group %s of --group %s has %d values of %s (%s); --balance needs one"
                  + " value per group (a donor's age, sex or disease), not a cell's",
              c,
              r.getString(0),
              o.group(),
              values.size(),
              c,
              values.stream().map(String::valueOf).sorted().limit(5).toList()
                  + (values.size() > 5 ? " ..." : ""));
        }
        if (values.size() == 1) {
          byGroup.put(r.getString(0), values.get(0));
        }
      }
      boolean numeric =
          grouped.schema().apply(c).dataType() instanceof org.apache.spark.sql.types.NumericType;
      out.add(new BalancedSplit.Attribute(c, byGroup, numeric));
    }
    return out;
  }

  /**
   * The listed groups that have cells, to their splits; the cells of groups not listed, and the
   * listed groups without cells, said in {@code info} (and the latter on the log).
   */
  private static Map<String, Split> given(
      Map<String, Long> perGroup, GroupSplits given, Map<String, Object> info) {
    Map<String, Split> out = new TreeMap<>();
    long unlisted = 0;
    int unlistedGroups = 0;
    for (Map.Entry<String, Long> e : perGroup.entrySet()) {
      String split = given.splitOf().get(e.getKey());
      if (split == null) {
        unlisted += e.getValue();
        unlistedGroups++;
      } else {
        out.put(e.getKey(), Split.valueOf(split.toUpperCase(java.util.Locale.ROOT)));
      }
    }
    List<String> absent =
        given.splitOf().keySet().stream().filter(g -> !perGroup.containsKey(g)).sorted().toList();
    if (!absent.isEmpty()) {
      LOG.warn(
          "--split-groups {} lists {} group(s) with no labelled cell here: {}",
          given.source(),
          absent.size(),
          absent.size() > 20 ? absent.subList(0, 20) + " ..." : absent);
    }
    info.put("groups_not_listed", unlistedGroups);
    info.put("cells_in_groups_not_listed", unlisted);
    info.put("listed_groups_without_cells", absent);
    return out;
  }

  /**
   * Adds {@code name}: the segment (0, 1, ...) each cell falls in when the cells of each --stratify
   * value (nulls a value of their own; with {@code within}, each value and that column's value) are
   * ordered by a seeded 64-bit hash of cell_id (salted by {@code salt}) and cut at {@code bounds}
   * (ascending shares): the cell ranked r of n is in the segment holding (r - 1/2) / n, so each
   * value's segments hold its cells in the shares the bounds give, to a cell. The ranks are taken
   * on a narrow table (value, hash); only the largest hash of each value's segments comes back to
   * the driver, and goes out again broadcast, so the cells themselves are not shuffled. The same
   * cells get the same segments whatever their partitions.
   */
  static Dataset<Row> withStratifiedSegment(
      Dataset<Row> cells,
      Settings o,
      String within,
      String salt,
      double[] bounds,
      String name,
      Map<String, Object> info) {
    String column = stratum(cells, o);
    Column valueKey = coalesce(col(column).cast("string"), lit(NULL_STRATUM));
    Dataset<Row> keyed =
        cells
            .withColumn(
                "_stratum",
                within == null
                    ? valueKey
                    : org.apache.spark.sql.functions.concat_ws(
                        "\u0001", valueKey, col(within).cast("string")))
            .withColumn("_h", xxhash64(col("cell_id"), lit(o.seed()), lit(salt)));
    WindowSpec byStratum = Window.partitionBy("_stratum");
    Dataset<Row> ranked =
        keyed
            .select("_stratum", "_h")
            .withColumn("_r", row_number().over(byStratum.orderBy("_h")))
            .withColumn("_n", count(lit(1)).over(byStratum));
    Column share = col("_r").minus(0.5).divide(col("_n"));
    Column segment = lit(0);
    for (double b : bounds) {
      segment = segment.plus(when(share.geq(b), 1).otherwise(0));
    }
    List<Row> maxima =
        ranked
            .withColumn("_segment", segment)
            .groupBy("_stratum", "_segment")
            .agg(max("_h"))
            .collectAsList();
    // Each value's cut points: cut j = the largest hash of segments 0..j (none yet: below all).
    Map<String, long[]> highest = new TreeMap<>();
    for (Row r : maxima) {
      long[] h =
          highest.computeIfAbsent(
              r.getString(0),
              k -> {
                long[] none = new long[bounds.length + 1];
                Arrays.fill(none, Long.MIN_VALUE);
                return none;
              });
      h[r.getInt(1)] = r.getLong(2);
    }
    if (within == null && highest.size() > MAX_STRATA) {
      throw UserException.of(
          "--stratify %s: %s has %d values of %s; stratifying is for a label-like column (a cell"
              + " type, a disease) with at most %d values",
          o.stratify(), o.source(), highest.size(), o.stratify(), MAX_STRATA);
    }
    List<Row> cuts = new ArrayList<>();
    highest.forEach(
        (value, h) -> {
          List<Long> cut = new ArrayList<>();
          long running = Long.MIN_VALUE;
          for (int j = 0; j < bounds.length; j++) {
            running = Math.max(running, h[j]);
            cut.add(running);
          }
          cuts.add(RowFactory.create(value, cut));
        });
    StructType schema =
        new StructType()
            .add("_stratum", DataTypes.StringType, false)
            .add("_cuts", DataTypes.createArrayType(DataTypes.LongType, false), false);
    info.put(
        "by",
        "cell (hash of cell_id), stratified by "
            + (column.equals("_label") ? o.label() : column)
            + ": ranked by the hash within each value, each split that value's share");
    if (within == null) {
      info.put("strata", highest.size());
    }
    return keyed
        .join(
            org.apache.spark.sql.functions.broadcast(
                cells.sparkSession().createDataFrame(cuts, schema)),
            "_stratum")
        .withColumn(name, expr("size(filter(_cuts, c -> c < _h))"))
        .drop("_stratum", "_h", "_cuts");
  }

  /**
   * The --stratify column's name: the input's column of that name, or the label's (_label) when it
   * is named (or is "label", upstream's name for the prepared label column, and the input has
   * none).
   */
  private static String stratum(Dataset<Row> cells, Settings o) {
    List<String> present = Arrays.asList(cells.columns());
    String s = o.stratify();
    if (present.contains("_label")
        && (s.equals(o.label()) || s.equals("label") && !present.contains(s))) {
      return "_label";
    }
    if (!present.contains(s)) {
      throw UserException.of(
          "--stratify %s: %s has no column %s (its columns: %s)",
          s,
          o.source(),
          s,
          String.join(", ", present.stream().filter(c -> !c.startsWith("_")).toList()));
    }
    return s;
  }

  /**
   * A number in [0, 1) from a seeded hash of cell_id (and {@code salt}, for a second, independent
   * draw): the same for a cell every run, whatever its partition.
   */
  private static Column uniform(long seed, Column... salt) {
    Column[] hashed = new Column[2 + salt.length];
    hashed[0] = col("cell_id");
    hashed[1] = lit(seed);
    System.arraycopy(salt, 0, hashed, 2, salt.length);
    return pmod(xxhash64(hashed), lit(1_000_000L)).divide(1e6);
  }

  /**
   * The labelled cells with a group (as _group, text), how many had none (left out), and each
   * group's cells.
   */
  private record Grouped(Dataset<Row> cells, long withoutGroup, Map<String, Long> cellsPerGroup) {
    static Grouped of(Dataset<Row> labelled, String column) {
      Dataset<Row> grouped = labelled.withColumn("_group", col(column).cast(DataTypes.StringType));
      long missing = grouped.filter(col("_group").isNull()).count();
      grouped = grouped.filter(col("_group").isNotNull());
      return new Grouped(grouped, missing, counts(grouped, "_group"));
    }
  }

  /**
   * Cells per split ("train", "validation", "test"; a split without cells absent), as {@link
   * #withSplit} recorded them in {@code info} when it dealt groups, else counted (and recorded).
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Long> cellsPerSplit(Dataset<Row> split, Map<String, Object> info) {
    return (Map<String, Long>) info.computeIfAbsent("cells", k -> counts(split, "_split"));
  }

  static Map<String, Long> counts(Dataset<Row> t, String column) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : t.groupBy(column).count().collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }
}
