package org.cellspark.cli;

import java.util.List;
import org.cellspark.jobs.classify.Balance;
import picocli.CommandLine.Option;

/**
 * How cells go to splits beyond --split and --group: stratified by a column (--stratify), or whole
 * groups given by a file (--split-groups), or dealt and balanced (--balance and its settings); for
 * the commands that split labelled cells (classify, finetune, finetune-multitask).
 */
final class GroupSplitArgs {
  @Option(
      names = {"--stratify", "--stratify-splits-col"},
      paramLabel = "COLUMN",
      description =
          "Deal cells so that every split (and fold) holds each value of COLUMN (usually the"
              + " label) in the split's share, to a cell; not with --group [stratify_splits_col].")
  String stratify;

  @Option(
      names = "--split-groups",
      paramLabel = "FILE",
      description =
          "Each split's groups, given: upstream's split_id_dict as JSON ({\"attr_key\":"
              + " \"donor\", \"train\": [...], \"eval\": [...], \"test\": [...]}), or a"
              + " group,split table such as a run's splits.csv; groups not listed are left out"
              + " [split_id_dict].")
  String file;

  @Option(
      names = {"--balance", "--attr-to-balance"},
      split = ",",
      paramLabel = "COLUMN",
      description =
          "Group attributes (a donor's age, sex, disease) to keep alike between training and"
              + " the validation and test groups: splits are dealt with seed, seed+1, ... until"
              + " every rank-sum (numbers) or chi-square (categories) p-value reaches --balance-p;"
              + " needs --group [attr_to_balance].")
  List<String> columns;

  @Option(
      names = {"--balance-trials", "--max-trials"},
      paramLabel = "N",
      description = "Splits to try at most; none passing: the highest mean p-value [max_trials].")
  int trials = Balance.DEFAULT_TRIALS;

  @Option(
      names = {"--balance-p", "--pval-threshold"},
      paramLabel = "P",
      description = "The p-value every comparison must reach [pval_threshold].")
  double minP = Balance.DEFAULT_MIN_P;

  Balance balance() {
    return new Balance(columns, trials, minP);
  }
}
