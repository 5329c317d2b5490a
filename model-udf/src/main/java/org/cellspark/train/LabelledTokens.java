package org.cellspark.train;

import java.util.List;

/**
 * Cells whose gene tokens carry a class, as a gene classifier trains on them: each cell's tokens,
 * and the class of every labelled gene by token ID ({@code -1}: not labelled). A gene is labelled
 * wherever it occurs; every other position (other genes, {@code <cls>}, {@code <eos>}, padding) is
 * left out of the loss, as upstream's labels of -100 leave them out.
 */
public record LabelledTokens(List<int[]> tokens, int[] classOfToken) implements Examples {
  public LabelledTokens {
    tokens = Examples.kept(tokens);
    classOfToken = classOfToken.clone();
  }

  /** The class of {@code token}, or -1 when it has none. */
  public int classOf(int token) {
    return token >= 0 && token < classOfToken.length ? classOfToken[token] : -1;
  }
}
