package org.cellspark.jobs.finetune;

import java.io.Serializable;
import java.util.List;
import org.cellspark.train.FineTuner;

/**
 * What a test's or a benchmark's stand-in for a training task returns: its unit and what reached
 * it, as an outcome {@link Trials} can sort.
 */
record UnitCount(int fold, int trial, long rows, long tokens)
    implements Trials.Outcome, Serializable {
  @Override
  public String trainedOn() {
    return "";
  }

  @Override
  public List<FineTuner.Epoch> epochs() {
    return List.of();
  }

  @Override
  public int bestEpoch() {
    return 0;
  }
}
