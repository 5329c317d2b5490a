package org.cellspark.infer;

import java.io.Serializable;
import java.util.Locale;

/**
 * What a token table holds, as far as the model cares: gathered in one pass over the cells (the
 * embed job does it with a Spark aggregation) and, when the table was written by {@code cellspark
 * tokenize}, what its summary says about the vocabulary it was made with.
 *
 * @param cells cells with at least one token
 * @param longest the most tokens in one cell
 * @param largestTokenId the largest token id
 * @param startingWithCls cells whose first token is the vocabulary's {@code <cls>}
 * @param vocabularyTokens tokens in the vocabulary the table was made with, or -1 if unknown
 * @param vocabularyHasClsAndEos whether that vocabulary has {@code <cls>} and {@code <eos>}
 */
public record TokenProfile(
    long cells,
    int longest,
    int largestTokenId,
    long startingWithCls,
    int vocabularyTokens,
    boolean vocabularyHasClsAndEos)
    implements Serializable {

  /**
   * Cells as {@code cellspark tokenize} would make them with a vocabulary, before any table exists:
   * up to {@code inputSize} tokens each, ids up to the vocabulary's largest, {@code <cls>} first
   * when it has {@code <cls>} and {@code <eos>}. What {@link ModelCheck} needs to judge a model and
   * a vocabulary together.
   */
  public static TokenProfile ofVocabulary(
      int tokens, int largestTokenId, boolean clsAndEos, int inputSize) {
    return new TokenProfile(1, inputSize, largestTokenId, clsAndEos ? 1 : 0, tokens, clsAndEos);
  }

  /** "a V2 vocabulary (20,275 tokens, <cls> first)" or "a V1 vocabulary (25,426 tokens)". */
  String describeVocabulary() {
    return String.format(
        Locale.ROOT,
        "a %s vocabulary (%,d tokens%s)",
        vocabularyHasClsAndEos ? "V2" : "V1",
        vocabularyTokens,
        vocabularyHasClsAndEos ? ", <cls> first" : "");
  }
}
