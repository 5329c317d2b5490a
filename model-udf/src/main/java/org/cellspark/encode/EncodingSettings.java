package org.cellspark.encode;

import java.io.Serializable;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.vocab.Vocabulary;

/**
 * How cells become token sequences: the model's input size and whether {@code <cls>}/{@code <eos>}
 * frame each cell (V2) or not (V1).
 *
 * @param modelInputSize maximum tokens per cell, special tokens included
 * @param clsId token id of {@code <cls>}, or -1 without special tokens
 * @param eosId token id of {@code <eos>}, or -1 without special tokens
 */
public record EncodingSettings(int modelInputSize, int clsId, int eosId) implements Serializable {

  /** Whether to frame cells with {@code <cls>} ... {@code <eos>}. */
  public enum SpecialTokens {
    /** When the vocabulary has both {@code <cls>} and {@code <eos>} (V2), else not (V1). */
    AUTO,
    ON,
    OFF
  }

  /** Geneformer V2's input size: {@code <cls>} + up to 4,094 genes + {@code <eos>}. */
  public static final int V2_INPUT_SIZE = 4096;

  /** Geneformer V1's input size: up to 2,048 genes, no special tokens. */
  public static final int V1_INPUT_SIZE = 2048;

  public EncodingSettings {
    boolean special = clsId >= 0;
    if (special != (eosId >= 0)) {
      throw new IllegalArgumentException("<cls> and <eos> come together");
    }
    int minimum = special ? 3 : 1;
    if (modelInputSize < minimum) {
      throw UserException.of(
          "--model-input-size %d is too small; it must leave room for at least one gene%s",
          modelInputSize, special ? " between <cls> and <eos>" : "");
    }
  }

  /**
   * Resolves the user's choices against the vocabulary. {@code modelInputSize <= 0} means the
   * Geneformer default for the chosen framing (4,096 with special tokens, 2,048 without).
   */
  public static EncodingSettings resolve(
      Vocabulary vocabulary, SpecialTokens mode, int modelInputSize) {
    boolean special =
        switch (mode) {
          case AUTO -> vocabulary.hasClsAndEos();
          case OFF -> false;
          case ON -> {
            if (!vocabulary.hasClsAndEos()) {
              throw UserException.of(
                  "--special-tokens on, but the %s lacks %s; use a V2 vocabulary or"
                      + " --special-tokens off",
                  vocabulary.describe(),
                  vocabulary.clsId().isPresent()
                      ? "<eos>"
                      : vocabulary.eosId().isPresent() ? "<cls>" : "<cls> and <eos>");
            }
            yield true;
          }
        };
    int size = modelInputSize > 0 ? modelInputSize : special ? V2_INPUT_SIZE : V1_INPUT_SIZE;
    return special
        ? new EncodingSettings(size, vocabulary.clsId().getAsInt(), vocabulary.eosId().getAsInt())
        : new EncodingSettings(size, -1, -1);
  }

  public boolean specialTokens() {
    return clsId >= 0;
  }

  /** How many genes fit: the input size less the special tokens. */
  public int maxGenes() {
    return specialTokens() ? modelInputSize - 2 : modelInputSize;
  }

  public String describe() {
    return String.format(
        Locale.ROOT,
        "%d tokens per cell (%s)",
        modelInputSize,
        specialTokens()
            ? "<cls> + up to " + maxGenes() + " genes + <eos>"
            : "up to " + maxGenes() + " genes, no special tokens");
  }
}
