package org.cellspark.jobs.classify;

import java.util.List;

/**
 * What `cellspark classify apply` did.
 *
 * @param cells the cells labelled (rows of predictions/)
 * @param scores the predictions scored against known labels (--label); empty without
 */
public record Applied(long cells, List<KnownLabels> scores) {
  public Applied {
    scores = List.copyOf(scores);
  }
}
