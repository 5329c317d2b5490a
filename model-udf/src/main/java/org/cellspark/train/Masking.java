package org.cellspark.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * How pretraining hides genes, as BERT's masked-language-model collator does (transformers' {@code
 * DataCollatorForLanguageModeling}, which upstream's {@code GeneformerPretrainer} uses): each gene
 * token of a cell is chosen with probability {@code fraction} (0.15); a chosen token becomes {@code
 * <mask>} 80% of the time, a random gene 10%, and stays as it is 10%; the model is scored on naming
 * the chosen tokens' genes.
 *
 * <p>Two choices of Cellspark's: special tokens ({@code <pad>}, {@code <mask>}, {@code <cls>},
 * {@code <eos>}) are never chosen and random replacements are genes (upstream's collator knows only
 * {@code <pad>} and {@code <mask>} as special, so it may choose {@code <cls>} and draw any token as
 * a replacement); and a cell none of whose genes was chosen gets its gene with the smallest draw
 * chosen, so every cell counts (matters only for cells of a few genes).
 *
 * @param genes the gene tokens (every token but the specials), ascending
 * @param isGene by token ID
 */
public record Masking(double fraction, int maskId, int[] genes, boolean[] isGene)
    implements Serializable {
  /** BERT's and upstream's share of genes chosen. */
  public static final double DEFAULT_FRACTION = 0.15;

  /** Of the chosen tokens, the share replaced by {@code <mask>}; as many again (10%) by a gene. */
  static final double MASKED = 0.8;

  static final double REPLACED = 0.9;

  public Masking {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("the masked fraction must be in (0, 1), not " + fraction);
    }
    genes = genes.clone();
    isGene = isGene.clone();
  }

  /**
   * Masking over a vocabulary of {@code vocabularySize} tokens whose specials are {@code specials}
   * (IDs outside the vocabulary are ignored: e.g. -1 for a V1 vocabulary's absent {@code <cls>}).
   */
  public static Masking of(double fraction, int vocabularySize, int maskId, int... specials) {
    boolean[] isGene = new boolean[vocabularySize];
    Arrays.fill(isGene, true);
    for (int s : specials) {
      if (s >= 0 && s < vocabularySize) {
        isGene[s] = false;
      }
    }
    int[] genes = IntStream.range(0, vocabularySize).filter(t -> isGene[t]).toArray();
    return new Masking(fraction, maskId, genes, isGene);
  }

  boolean gene(int token) {
    return token >= 0 && token < isGene.length && isGene[token];
  }

  /**
   * The token that takes a chosen gene's place, from two uniform draws: {@code <mask>} below 0.8, a
   * random gene (the third draw picks it) below 0.9, else the gene itself.
   */
  int replacement(int token, float kind, float which) {
    if (kind < MASKED) {
      return maskId;
    }
    if (kind < REPLACED) {
      return genes[(int) ((double) which * genes.length)];
    }
    return token;
  }
}
