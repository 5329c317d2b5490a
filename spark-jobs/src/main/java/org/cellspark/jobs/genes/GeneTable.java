package org.cellspark.jobs.genes;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.jobs.common.GeneNames;
import org.cellspark.train.TokenEvaluation;

/**
 * genes.csv: every gene of the classes with the prediction of the fold that held it out: its
 * occurrences in that fold's validation or test cells, the mean of its class probabilities over
 * them, and the class with the highest mean. Genes held out by a fold that did not run, or found in
 * no cell, have no prediction (empty fields).
 */
final class GeneTable {
  private GeneTable() {}

  static String csv(
      List<GeneFoldTask.Outcome> outcomes, GeneFolds folds, List<String> classes, GeneNames names) {
    Map<Integer, double[]> sums = new HashMap<>(); // token -> probability sums, then the count
    for (GeneFoldTask.Outcome f : outcomes) {
      add(f.validation(), sums, classes.size());
      add(f.test(), sums, classes.size());
    }
    StringBuilder csv =
        new StringBuilder("gene_id,symbol,class,fold,split,occurrences,predicted,correct");
    for (String c : classes) {
      csv.append(",probability_").append(quoted(c));
    }
    csv.append('\n');
    for (int g = 0; g < folds.size(); g++) {
      int token = folds.tokens()[g];
      String symbol = names.symbol(token);
      csv.append(names.geneId(token))
          .append(',')
          .append(symbol == null ? "" : quoted(symbol))
          .append(',')
          .append(quoted(classes.get(folds.classes()[g])))
          .append(',')
          .append(folds.folds()[g] + 1)
          .append(',')
          .append(folds.test()[g] ? "test" : "validation");
      double[] s = sums.get(token);
      if (s == null) {
        csv.append(",0,,");
        csv.append(",".repeat(classes.size()));
      } else {
        double n = s[classes.size()];
        int best = 0;
        for (int k = 1; k < classes.size(); k++) {
          best = s[k] > s[best] ? k : best;
        }
        csv.append(',')
            .append((long) n)
            .append(',')
            .append(quoted(classes.get(best)))
            .append(',')
            .append(best == folds.classes()[g]);
        for (int k = 0; k < classes.size(); k++) {
          csv.append(String.format(Locale.ROOT, ",%.6f", s[k] / n));
        }
      }
      csv.append('\n');
    }
    return csv.toString();
  }

  private static void add(TokenEvaluation e, Map<Integer, double[]> sums, int classes) {
    for (int i = 0; i < e.size(); i++) {
      double[] s = sums.computeIfAbsent(e.token()[i], t -> new double[classes + 1]);
      for (int k = 0; k < classes; k++) {
        s[k] += e.probabilities()[i][k];
      }
      s[classes]++;
    }
  }

  /** A CSV field, quoted when it holds a comma, a quote or a line break. */
  static String quoted(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
