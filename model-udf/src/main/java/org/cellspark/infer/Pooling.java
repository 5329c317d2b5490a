package org.cellspark.infer;

import org.cellspark.error.Choices;

/**
 * How a cell's vector is made from its tokens' vectors.
 *
 * <ul>
 *   <li>{@link #MEAN}: the mean over the cell's gene tokens, the default and Geneformer's "cell"
 *       embedding. Padding never counts; {@code <cls>} (first) and {@code <eos>} (last) are left
 *       out when the cell has them: decided from each cell's own tokens, not from the vocabulary
 *       (upstream decides from the dictionary, so V1-tokenized cells under a V2 dictionary lose
 *       their first gene).
 *   <li>{@link #CLS}: the vector at position 0, which must be {@code <cls>} (V2 models).
 *   <li>{@link #FIRST}: the vector at position 0 whatever its token: what BERT's pooler reads, so
 *       what a classifier upstream fine-tuned (Hugging Face's BertForSequenceClassification) was
 *       trained on; for V1 cells that is their top-ranked gene. Not an embedding users choose.
 * </ul>
 */
public enum Pooling {
  MEAN,
  CLS,
  FIRST;

  /**
   * {@code mean} or {@code cls}, case aside; {@code cell} is accepted for {@code mean}, as
   * upstream's EmbExtractor calls the same mean pooling its "cell" embedding mode.
   */
  public static Pooling parse(String s) {
    if (s != null && s.trim().equalsIgnoreCase("cell")) {
      return MEAN;
    }
    return Choices.parse("--pooling", s, new Pooling[] {MEAN, CLS});
  }

  /** Whether the cell's vector is the one at position 0 (no mean over genes). */
  public boolean firstPosition() {
    return this != MEAN;
  }

  /** First gene position of a cell for mean pooling. */
  public static int firstGene(int[] cell, int clsId) {
    return cell.length > 0 && clsId >= 0 && cell[0] == clsId ? 1 : 0;
  }

  /** One past the last gene position of a cell for mean pooling. */
  public static int endOfGenes(int[] cell, int eosId) {
    return cell.length > 0 && eosId >= 0 && cell[cell.length - 1] == eosId
        ? cell.length - 1
        : cell.length;
  }
}
