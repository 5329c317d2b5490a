package org.cellspark.train;

/** Labelled cells a {@link Classifier} trains on or is scored on; batches are cut by length. */
public interface Examples {
  int size();

  /** Each cell's token count, in the examples' order. */
  int[] lengths();
}
