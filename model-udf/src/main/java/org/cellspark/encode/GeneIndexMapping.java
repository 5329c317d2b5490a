package org.cellspark.encode;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.error.UserException;
import org.cellspark.vocab.Vocabulary;

/**
 * How one input file's genes (its matrix columns) land on the vocabulary: each column either maps
 * to a vocabulary gene or is dropped. Columns whose IDs collapse onto the same gene share one slot,
 * so their counts are summed before normalisation, as upstream's {@code sum_ensembl_ids}.
 *
 * <p>Slots are numbered in the order of their first input column. That number is the tie-break of
 * the ranking: genes with exactly equal normalised values keep input gene order (upstream's numpy
 * argsort is not stable, so its tie order is implementation-defined; ours is documented).
 */
public final class GeneIndexMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] columnSlot;
  private final int[] slotToken;
  private final double[] slotMedian;
  private final int vocabularyGenes;
  private final int mappedColumns;
  private final List<String> unmatchedExamples;
  private final int unmatchedColumns;

  private GeneIndexMapping(
      int[] columnSlot,
      int[] slotToken,
      double[] slotMedian,
      int vocabularyGenes,
      int mappedColumns,
      int unmatchedColumns,
      List<String> unmatchedExamples) {
    this.columnSlot = columnSlot;
    this.slotToken = slotToken;
    this.slotMedian = slotMedian;
    this.vocabularyGenes = vocabularyGenes;
    this.mappedColumns = mappedColumns;
    this.unmatchedColumns = unmatchedColumns;
    this.unmatchedExamples = List.copyOf(unmatchedExamples);
  }

  /** Maps {@code inputGeneIds} (one per matrix column, in column order) onto {@code vocabulary}. */
  public static GeneIndexMapping build(String[] inputGeneIds, Vocabulary vocabulary) {
    int[] columnSlot = new int[inputGeneIds.length];
    Map<String, Integer> slotOfGene = new HashMap<>();
    List<String> genes = new ArrayList<>();
    List<String> unmatched = new ArrayList<>();
    int unmatchedCount = 0;
    int mapped = 0;
    for (int c = 0; c < inputGeneIds.length; c++) {
      String gene = vocabulary.mapInputId(inputGeneIds[c]);
      if (gene == null) {
        columnSlot[c] = -1;
        unmatchedCount++;
        if (unmatched.size() < 10) {
          unmatched.add(String.valueOf(inputGeneIds[c]));
        }
        continue;
      }
      mapped++;
      Integer slot = slotOfGene.get(gene);
      if (slot == null) {
        slot = genes.size();
        slotOfGene.put(gene, slot);
        genes.add(gene);
      }
      columnSlot[c] = slot;
    }
    int n = genes.size();
    if (n > RankValueEncoder.MAX_GENES) {
      throw new UserException(
          String.format(
              Locale.ROOT,
              "The input matches %,d vocabulary genes; Cellspark ranks at most %,d genes per input",
              n,
              RankValueEncoder.MAX_GENES));
    }
    int[] slotToken = new int[n];
    double[] slotMedian = new double[n];
    String[] slotGene = genes.toArray(new String[0]);
    for (int s = 0; s < n; s++) {
      slotToken[s] = vocabulary.tokenId(slotGene[s]).orElseThrow();
      slotMedian[s] = vocabulary.median(slotGene[s]);
    }
    return new GeneIndexMapping(
        columnSlot,
        slotToken,
        slotMedian,
        vocabulary.geneCount(),
        mapped,
        unmatchedCount,
        unmatched);
  }

  /** Distinct vocabulary genes found among the input's genes. */
  public int matchedGenes() {
    return slotToken.length;
  }

  /**
   * Input columns that map to a vocabulary gene (more than {@link #matchedGenes} when IDs
   * collapse).
   */
  public int mappedColumns() {
    return mappedColumns;
  }

  public int unmatchedColumns() {
    return unmatchedColumns;
  }

  /** Input columns that share a vocabulary gene with an earlier column and are summed into it. */
  public int collapsedColumns() {
    return mappedColumns - slotToken.length;
  }

  /** The first few input IDs (up to 10) that map to no vocabulary gene, for messages. */
  public List<String> unmatchedExamples() {
    return unmatchedExamples;
  }

  /** Fraction of the vocabulary's genes present in the input. */
  public double vocabularyCoverage() {
    return vocabularyGenes == 0 ? 0 : (double) slotToken.length / vocabularyGenes;
  }

  public int vocabularyGenes() {
    return vocabularyGenes;
  }

  int[] columnSlots() {
    return columnSlot;
  }

  int[] slotTokens() {
    return slotToken;
  }

  double[] slotMedians() {
    return slotMedian;
  }
}
