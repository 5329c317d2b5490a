package org.cellspark.train;

import java.util.List;

/**
 * Cells as pretraining takes them: their tokens, how their genes are masked, and the seed of the
 * masks an evaluation draws (the same masks every epoch, so epochs compare; training draws new ones
 * every step).
 */
public record MaskedCells(List<int[]> tokens, Masking masking, long evaluationSeed)
    implements Examples {
  public MaskedCells {
    tokens = Examples.kept(tokens);
  }
}
