package org.cellspark.infer;

/**
 * A cell the model cannot take (a token outside the vocabulary, too long, no {@code <cls>} for CLS
 * pooling). Carries the cell's position in the input so the caller can name the cell.
 */
public final class InvalidCellException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int position;

  public InvalidCellException(int position, String problem) {
    super(problem);
    this.position = position;
  }

  /** The cell's position in the list given to the embedder. */
  public int position() {
    return position;
  }
}
