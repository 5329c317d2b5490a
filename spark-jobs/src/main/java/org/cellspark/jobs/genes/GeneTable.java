package org.cellspark.jobs.genes;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.GeneNames;

/**
 * The per-gene tables. genes.csv: every gene of the classes with the prediction of the fold that
 * held it out: its occurrences in that fold's validation or test cells, the mean of its class
 * probabilities over them, and the class with the highest mean (genes held out by a fold that did
 * not run, or found in no cell, have empty fields). predictions.csv (--predict-genes): every gene
 * to predict that a fold's cells held, its class probabilities averaged over the folds' models.
 */
final class GeneTable {
  private GeneTable() {}

  static String csv(
      List<GeneFoldTask.Outcome> outcomes, GeneFolds folds, List<String> classes, GeneNames names) {
    Map<Integer, double[]> heldOut = new HashMap<>(); // token -> mean probabilities, occurrences
    for (GeneFoldTask.Outcome f : outcomes) {
      for (GeneScores s :
          List.of(
              GeneScores.of(f.validation(), classes.size()),
              GeneScores.of(f.test(), classes.size()))) {
        for (int g = 0; g < s.size(); g++) {
          double[] row = Arrays.copyOf(s.mean()[g], classes.size() + 1);
          row[classes.size()] = s.occurrences()[g];
          heldOut.put(s.tokens()[g], row);
        }
      }
    }
    StringBuilder csv =
        header("gene_id,symbol,class,fold,split,occurrences,predicted,correct", classes);
    for (int g = 0; g < folds.size(); g++) {
      int token = folds.tokens()[g];
      gene(csv, names, token)
          .append(',')
          .append(CsvField.of(classes.get(folds.classes()[g])))
          .append(',')
          .append(folds.folds()[g] + 1)
          .append(',')
          .append(folds.test()[g] ? "test" : "validation");
      double[] s = heldOut.get(token);
      if (s == null) {
        csv.append(",0,,").append(",".repeat(classes.size()));
      } else {
        double[] mean = Arrays.copyOf(s, classes.size());
        int best = GeneScores.argmax(mean);
        csv.append(',')
            .append((long) s[classes.size()])
            .append(',')
            .append(CsvField.of(classes.get(best)))
            .append(',')
            .append(best == folds.classes()[g]);
        probabilities(csv, mean);
      }
      csv.append('\n');
    }
    return csv.toString();
  }

  /**
   * predictions.csv: each gene's mean class probabilities from every fold's model that saw it (the
   * mean of the folds' means), its occurrences over those folds, and the class with the highest.
   */
  static String predictions(
      List<GeneFoldTask.Outcome> outcomes, List<String> classes, GeneNames names) {
    Map<Integer, double[]> byGene = new TreeMap<>(); // sum of fold means, then folds, occurrences
    int c = classes.size();
    for (GeneFoldTask.Outcome f : outcomes) {
      GeneScores s = f.predicted();
      for (int g = 0; g < s.size(); g++) {
        double[] row = byGene.computeIfAbsent(s.tokens()[g], t -> new double[c + 2]);
        for (int k = 0; k < c; k++) {
          row[k] += s.mean()[g][k];
        }
        row[c]++;
        row[c + 1] += s.occurrences()[g];
      }
    }
    StringBuilder csv = header("gene_id,symbol,folds,occurrences,predicted", classes);
    for (Map.Entry<Integer, double[]> e : byGene.entrySet()) {
      double[] row = e.getValue();
      double[] mean = new double[c];
      for (int k = 0; k < c; k++) {
        mean[k] = row[k] / row[c];
      }
      gene(csv, names, e.getKey())
          .append(',')
          .append((long) row[c])
          .append(',')
          .append((long) row[c + 1])
          .append(',')
          .append(CsvField.of(classes.get(GeneScores.argmax(mean))));
      probabilities(csv, mean);
      csv.append('\n');
    }
    return csv.toString();
  }

  private static StringBuilder header(String columns, List<String> classes) {
    StringBuilder csv = new StringBuilder(columns);
    for (String c : classes) {
      csv.append(",probability_").append(CsvField.of(c));
    }
    return csv.append('\n');
  }

  private static StringBuilder gene(StringBuilder csv, GeneNames names, int token) {
    String symbol = names.symbol(token);
    return csv.append(names.geneId(token))
        .append(',')
        .append(symbol == null ? "" : CsvField.of(symbol));
  }

  private static void probabilities(StringBuilder csv, double[] p) {
    for (double v : p) {
      csv.append(String.format(Locale.ROOT, ",%.6f", v));
    }
  }
}
