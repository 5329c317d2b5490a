package org.cellspark.jobs.genes;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cellspark.train.TokenEvaluation;

/**
 * A model's verdict on genes: for each gene scored, its occurrences and the mean of its class
 * probabilities over them (small enough to send to the driver where a token evaluation, one row per
 * occurrence, would not be).
 *
 * @param tokens the genes scored
 * @param occurrences their occurrences
 * @param mean their mean probability of each class
 */
record GeneScores(int[] tokens, long[] occurrences, double[][] mean) implements Serializable {

  static GeneScores of(TokenEvaluation e, int classes) {
    Map<Integer, double[]> sums = new LinkedHashMap<>(); // probability sums, then the count
    for (int i = 0; i < e.size(); i++) {
      double[] s = sums.computeIfAbsent(e.token()[i], t -> new double[classes + 1]);
      for (int k = 0; k < classes; k++) {
        s[k] += e.probabilities()[i][k];
      }
      s[classes]++;
    }
    int[] tokens = new int[sums.size()];
    long[] occurrences = new long[sums.size()];
    double[][] mean = new double[sums.size()][classes];
    int g = 0;
    for (Map.Entry<Integer, double[]> s : sums.entrySet()) {
      tokens[g] = s.getKey();
      occurrences[g] = (long) s.getValue()[classes];
      for (int k = 0; k < classes; k++) {
        mean[g][k] = s.getValue()[k] / occurrences[g];
      }
      g++;
    }
    return new GeneScores(tokens, occurrences, mean);
  }

  /** The class with the highest mean probability of gene {@code g} (the first of ties). */
  int predicted(int g) {
    return argmax(mean[g]);
  }

  static int argmax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      best = p[k] > p[best] ? k : best;
    }
    return best;
  }

  int size() {
    return tokens.length;
  }
}
