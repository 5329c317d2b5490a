package org.cellspark.jobs.genes;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.cellspark.error.UserException;

/**
 * Cross-validation over genes, as upstream validates a gene classifier: the genes of every class
 * dealt into {@code k} folds of near-equal size (stratified: each fold holds about a k-th of each
 * class), in an order shuffled with the seed. Fold {@code f} trains on the genes of the other folds
 * and holds its own out, half of each class's for validation (choosing the epoch) and half for the
 * test (upstream's split of a held-out fold into eval and test, 0.5 by default), the test taking
 * the odd one.
 *
 * @param tokens every target gene's token
 * @param classes its class (position in the class list)
 * @param folds the fold that holds it out
 * @param test whether it is a test gene there (else a validation gene)
 * @param predicted genes of no class whose class every fold's model predicts (--predict-genes)
 */
record GeneFolds(int k, int[] tokens, int[] classes, int[] folds, boolean[] test, int[] predicted)
    implements Serializable {

  /** Which genes a fold labels (or, for PREDICT, scores) in which cells. */
  enum Role {
    TRAIN,
    VALIDATION,
    TEST,
    PREDICT
  }

  static GeneFolds deal(GeneClasses genes, int k, long seed, String location) {
    for (int c = 0; c < genes.classes(); c++) {
      if (genes.tokens().get(c).length < 2 * k) {
        throw UserException.of(
            "--gene-classes %s: class '%s' has %d gene(s) in the vocabulary; %d-fold"
                + " cross-validation needs at least %d per class (one validation and one test"
                + " gene in every fold): give more genes or fewer --folds",
            location, genes.names().get(c), genes.tokens().get(c).length, k, 2 * k);
      }
    }
    Random random = new Random(seed);
    List<int[]> rows = new ArrayList<>(); // token, class, fold, test
    int offset = 0;
    for (int c = 0; c < genes.classes(); c++) {
      List<Integer> order = new ArrayList<>();
      Arrays.stream(genes.tokens().get(c)).forEach(order::add);
      Collections.shuffle(order, random);
      int[] heldSoFar = new int[k];
      int n = order.size();
      for (int i = 0; i < n; i++) {
        int fold = (i + offset) % k;
        // This class's genes in this fold: n / k, plus one for the first n % k folds dealt.
        int inFold = n / k + (Math.floorMod(fold - offset, k) < n % k ? 1 : 0);
        int j = heldSoFar[fold]++;
        rows.add(new int[] {order.get(i), c, fold, j < (inFold + 1) / 2 ? 1 : 0});
      }
      offset += n; // the next class starts where this one ended, so folds stay even in size
    }
    int[] tokens = new int[rows.size()];
    int[] classes = new int[rows.size()];
    int[] folds = new int[rows.size()];
    boolean[] test = new boolean[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      tokens[i] = rows.get(i)[0];
      classes[i] = rows.get(i)[1];
      folds[i] = rows.get(i)[2];
      test[i] = rows.get(i)[3] == 1;
    }
    return new GeneFolds(k, tokens, classes, folds, test, new int[0]);
  }

  /** The same folds, every fold's model also scoring {@code genes} (those of a class left out). */
  GeneFolds predicting(int[] genes) {
    java.util.Set<Integer> inClasses = new java.util.HashSet<>();
    Arrays.stream(tokens).forEach(inClasses::add);
    int[] others = Arrays.stream(genes).filter(t -> !inClasses.contains(t)).distinct().toArray();
    return new GeneFolds(k, tokens, classes, folds, test, others);
  }

  Role role(int gene, int fold) {
    if (folds[gene] != fold) {
      return Role.TRAIN;
    }
    return test[gene] ? Role.TEST : Role.VALIDATION;
  }

  int size() {
    return tokens.length;
  }

  /**
   * The class of every gene fold {@code fold} labels in {@code role}, by token ({@code -1}: none).
   */
  int[] classOfToken(int fold, Role role, int vocabularySize) {
    int[] out = new int[vocabularySize];
    Arrays.fill(out, -1);
    if (role == Role.PREDICT) {
      for (int t : predicted) {
        out[t] = 0; // scored, not judged: any class number will do
      }
      return out;
    }
    for (int g = 0; g < tokens.length; g++) {
      if (role(g, fold) == role) {
        out[tokens[g]] = classes[g];
      }
    }
    return out;
  }

  /** How many genes of {@code fold} are in {@code role}. */
  int count(int fold, Role role) {
    if (role == Role.PREDICT) {
      return predicted.length;
    }
    int n = 0;
    for (int g = 0; g < tokens.length; g++) {
      n += role(g, fold) == role ? 1 : 0;
    }
    return n;
  }
}
