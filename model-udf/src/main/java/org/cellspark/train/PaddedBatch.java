package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Cells for one step, right-padded to the longest: token ids and the attention mask, row-major
 * (cells x length), as the encoder takes them.
 */
interface PaddedBatch {
  int cells();

  int length();

  long[] ids();

  long[] mask();

  /** The token ids as an int64 array (cells, length) in {@code m}. */
  default NDArray ids(NDManager m) {
    return m.create(ids(), new Shape(cells(), length()));
  }

  /** 1 for tokens, 0 for padding, int64 (cells, length) in {@code m}. */
  default NDArray mask(NDManager m) {
    return m.create(mask(), new Shape(cells(), length()));
  }
}
