package org.cellspark.jobs.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.statistics.GaussianMixture1D;

/**
 * mixture_model (reference 6.5): each gene's mean cosine similarity (perturbed vs original cell), a
 * two-component Gaussian mixture fitted to those means, and per gene whether its mean falls in the
 * impact component (the one with the lower mean: less similar = more impact) and what percentage of
 * its individual cells do. Sorted by Impact_component descending, then Test_avg_shift ascending.
 *
 * <p>Upstream's rule, with the components ordered by mean (upstream takes component 0 to be the
 * lower one without ordering them): above the upper mean, no impact; below the lower mean, impact;
 * between them, the more probable component. The fit is converged to 1e-10 in mean log-likelihood
 * (upstream stops at sklearn's 1e-3).
 */
final class MixtureModel {
  static final double TOL = 1e-10;
  static final int MAX_ITERATIONS = 10_000;

  private MixtureModel() {}

  static StatsTable compute(SparkSession spark, Screen screen) {
    if (!screen.allGenes()) {
      throw UserException.of(
          "--mode mixture-model needs a screen of every gene (--genes all): a mixture over"
              + " %s of %s says nothing; use goal-state-shift or aggregate-data for gene lists",
          screen.genesLabel(), screen.folder());
    }
    Dataset<Row> byGene =
        GeneValues.of(screen.keyedCells(), List.of("cosine_similarity")).persist();
    try {
      // Gene means to the driver (one number per gene), the fit there, then each gene's cells
      // classified on the executors with the fit.
      List<Object[]> genes =
          new ArrayList<>(
              byGene
                  .javaRDD()
                  .map(
                      r ->
                          new Object[] {
                            r.getString(0),
                            r.getString(1),
                            r.getString(2),
                            GeneValues.mean(GeneValues.values(r, 0)),
                            GeneValues.n(r)
                          })
                  .collect());
      double[] means =
          genes.stream().mapToDouble(g -> (Double) g[3]).filter(m -> !Double.isNaN(m)).toArray();
      if (means.length < 2) {
        throw UserException.of(
            "--mode mixture-model needs at least two perturbed genes; %s has %d",
            screen.folder(), means.length);
      }
      GaussianMixture1D.Fit fit = GaussianMixture1D.fit(means, TOL, MAX_ITERATIONS);
      Map<String, Double> percent =
          new HashMap<>(
              byGene
                  .javaRDD()
                  .mapToPair(
                      r -> {
                        double[] v = GeneValues.values(r, 0);
                        int impacted = 0;
                        for (double x : v) {
                          impacted += impact(fit, x);
                        }
                        return new scala.Tuple2<>(
                            r.getString(0),
                            v.length == 0 ? Double.NaN : 100.0 * impacted / v.length);
                      })
                  .collectAsMap());
      List<Object[]> rows = new ArrayList<>();
      for (Object[] g : genes) {
        double mean = (Double) g[3];
        rows.add(
            new Object[] {
              g[0],
              g[1],
              g[2],
              mean,
              Double.isNaN(mean) ? null : impact(fit, mean),
              percent.get((String) g[0]),
              g[4]
            });
      }
      return table(spark, rows, fit);
    } finally {
      byGene.unpersist();
    }
  }

  private static StatsTable table(
      SparkSession spark, List<Object[]> rows, GaussianMixture1D.Fit fit) {
    StructType schema =
        Screen.geneColumns()
            .add("Test_avg_shift", DataTypes.DoubleType)
            .add("Impact_component", DataTypes.IntegerType)
            .add("Impact_component_percent", DataTypes.DoubleType)
            .add("N_Detections", DataTypes.LongType, false);
    var order =
        Comparator.<Object[], Integer>comparing(
                r -> (Integer) r[4], Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(StatsTable.asc(3))
            .thenComparing(StatsTable.byString(0));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("genes", rows.size());
    details.put(
        "mixture",
        Map.of(
            "means",
            fit.means(),
            "variances",
            fit.variances(),
            "weights",
            fit.weights(),
            "iterations",
            fit.iterations(),
            "converged",
            fit.converged(),
            "reg_covar",
            GaussianMixture1D.REG_COVAR));
    return new StatsTable(StatsTable.local(spark, schema, rows, order), true, details);
  }

  /** 1 when a value belongs to the impact (lower-mean) component, 0 otherwise. */
  static int impact(GaussianMixture1D.Fit fit, double v) {
    if (v > fit.means()[1]) {
      return 0;
    }
    if (v < fit.means()[0]) {
      return 1;
    }
    return fit.predict(v) == 0 ? 1 : 0;
  }
}
