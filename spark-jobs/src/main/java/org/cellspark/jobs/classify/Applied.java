package org.cellspark.jobs.classify;

import java.util.List;
import java.util.Map;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What `cellspark classify apply` did.
 *
 * @param cells the cells labelled (rows of predictions/)
 * @param scores the predictions scored against known labels (--label); empty without
 */
public record Applied(long cells, List<KnownLabels> scores) {
  private static final Logger LOG = LoggerFactory.getLogger(Applied.class);

  public Applied {
    scores = List.copyOf(scores);
  }

  /**
   * An apply job's last step, whatever labelled the cells: the scores' files (metrics.json, the
   * confusion matrices and ROC curves) and the summary's evaluation entry, its timings, the commit;
   * then each score's line in the log.
   *
   * @param byTask whether the scores are a multi-task model's, one per task
   */
  public static Applied commit(
      JobScope job,
      StagedOutput out,
      JobSummary summary,
      long cells,
      List<KnownLabels> scores,
      boolean byTask,
      double seconds) {
    if (!scores.isEmpty()) {
      summary.put("evaluation", KnownLabels.writeAll(scores, byTask, out));
    }
    job.commit(
        out, summary.put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0)));
    scores.forEach(k -> LOG.info("classify apply: " + k.line()));
    return new Applied(cells, scores);
  }
}
