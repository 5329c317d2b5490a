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
 * @param ids the smallest and largest token ids and the cells holding a null id, each with a cell
 *     that holds it where cells have names
 * @param startingWithCls cells whose first token is the vocabulary's {@code <cls>}
 * @param vocabularyTokens tokens in the vocabulary the table was made with, or -1 if unknown
 * @param vocabularyHasClsAndEos whether that vocabulary has {@code <cls>} and {@code <eos>}
 */
public record TokenProfile(
    long cells,
    int longest,
    IdRange ids,
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
    return new TokenProfile(
        1, inputSize, IdRange.of(0, largestTokenId), clsAndEos ? 1 : 0, tokens, clsAndEos);
  }

  /**
   * The smallest and largest token ids, each with a cell that holds it, and the cells holding a
   * null among their ids, with one of them (a cell's name is null where the cells have no names),
   * so a refusal can point at one.
   */
  public record IdRange(
      int smallest, String smallestIn, int largest, String largestIn, long withNulls, String nullIn)
      implements Serializable {
    /** The ids of cells without names, none of them null. */
    public static IdRange of(int smallest, int largest) {
      return new IdRange(smallest, null, largest, null, 0, null);
    }

    /** " (cell 'c3')", or nothing where the cell has no name. */
    static String in(String cell) {
      return cell == null ? "" : " (cell '" + cell + "')";
    }
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
