package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.statistics.BenjaminiHochberg;
import org.cellspark.statistics.RankSumTest;

/**
 * goal_state_shift (reference 6.3): per gene, the mean shift toward the goal state and each
 * alternative state; for screens of every gene also a two-sided rank-sum p-value of the gene's
 * shifts against the pooled shifts of all genes (its own included, as upstream), the BH FDR over
 * genes, and Sig = FDR below the threshold. Sorted by Sig, then shift toward the goal (both
 * descending), then FDR; gene-list screens get the means only, as upstream.
 *
 * <p>A pool above {@code poolSize} values is sampled: the rows with the smallest seeded hash of
 * (cell_id, perturbed_tokens), the same rows for every state. Upstream draws with Python's {@code
 * random.sample} (seed 42), which no JVM reproduces, so p-values then differ slightly from
 * upstream's; at or below the size they are the same.
 */
final class GoalStateShift {
  private GoalStateShift() {}

  static StatsTable compute(SparkSession spark, Screen screen, StatsOptions o) {
    if (screen.states() == null) {
      throw UserException.of(
          "--mode goal-state-shift needs a screen run with --states and --state-embeddings;"
              + " %s was run without states (its cell_shifts have no shift columns)",
          screen.folder());
    }
    List<String> columns = screen.goalAndAlternativeColumns();
    List<String> alts = screen.states().alternatives();
    int k = columns.size();
    boolean tested = screen.allGenes();
    Dataset<Row> keyed = screen.keyedCells();
    Map<String, Object> details = new LinkedHashMap<>();
    Broadcast<double[][]> pool =
        tested
            ? JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(pools(keyed, columns, o, details))
            : null;

    // Per gene, on the executors: {Gene, Gene_name, Ensembl_ID, mean per state, p per state, n}.
    List<Object[]> genes =
        new ArrayList<>(
            GeneValues.of(keyed, columns)
                .javaRDD()
                .map(
                    r -> {
                      Object[] out = new Object[3 + 2 * k + 1];
                      out[0] = r.getString(0);
                      out[1] = r.getString(1);
                      out[2] = r.getString(2);
                      for (int s = 0; s < k; s++) {
                        double[] v = GeneValues.values(r, s);
                        out[3 + s] = GeneValues.mean(v);
                        out[3 + k + s] =
                            pool == null ? Double.NaN : RankSumTest.pValue(pool.value()[s], v);
                      }
                      out[3 + 2 * k] = GeneValues.n(r);
                      return out;
                    })
                .collect());

    StructType schema = Screen.geneColumns().add("Shift_to_goal_end", DataTypes.DoubleType);
    for (String a : alts) {
      schema = schema.add("Shift_to_alt_end_" + a, DataTypes.DoubleType);
    }
    List<Object[]> rows = new ArrayList<>();
    Comparator<Object[]> order;
    if (tested) {
      schema = schema.add("Goal_end_vs_random_pval", DataTypes.DoubleType);
      for (String a : alts) {
        schema = schema.add("Alt_end_vs_random_pval_" + a, DataTypes.DoubleType);
      }
      schema = schema.add("Goal_end_FDR", DataTypes.DoubleType);
      for (String a : alts) {
        schema = schema.add("Alt_end_FDR_" + a, DataTypes.DoubleType);
      }
      schema =
          schema
              .add("N_Detections", DataTypes.LongType, false)
              .add("Sig", DataTypes.IntegerType, false);
      double[][] fdr = new double[k][];
      for (int s = 0; s < k; s++) {
        final int c = 3 + k + s;
        fdr[s] = BenjaminiHochberg.adjust(genes.stream().mapToDouble(g -> (Double) g[c]).toArray());
      }
      for (int g = 0; g < genes.size(); g++) {
        Object[] in = genes.get(g);
        Object[] row = new Object[3 + 3 * k + 2];
        System.arraycopy(in, 0, row, 0, 3 + 2 * k); // names, shifts, p-values
        for (int s = 0; s < k; s++) {
          row[3 + 2 * k + s] = fdr[s][g];
        }
        row[3 + 3 * k] = in[3 + 2 * k];
        row[3 + 3 * k + 1] = fdr[0][g] < o.fdrThreshold() ? 1 : 0;
        rows.add(row);
      }
      order =
          StatsTable.descInt(3 + 3 * k + 1)
              .thenComparing(StatsTable.desc(3))
              .thenComparing(StatsTable.asc(3 + 2 * k))
              .thenComparing(StatsTable.byString(0));
    } else {
      schema = schema.add("N_Detections", DataTypes.LongType, false);
      for (Object[] in : genes) {
        Object[] row = new Object[3 + k + 1];
        System.arraycopy(in, 0, row, 0, 3 + k);
        row[3 + k] = in[3 + 2 * k];
        rows.add(row);
      }
      order = StatsTable.desc(3).thenComparing(StatsTable.byString(0));
    }
    details.put("genes", rows.size());
    details.put(
        "p_values",
        tested
            ? "two-sided rank-sum against the pooled shifts of all genes, BH FDR"
            : "none: a gene-list screen gets means only (as upstream)");
    return new StatsTable(StatsTable.local(spark, schema, rows, order), true, details);
  }

  /** Each state's pool of shifts, sorted; sampled to poolSize rows when larger. */
  private static double[][] pools(
      Dataset<Row> keyed, List<String> columns, StatsOptions o, Map<String, Object> details) {
    long n = keyed.count();
    Dataset<Row> rows = keyed;
    boolean sampled = n > o.poolSize();
    if (sampled) {
      rows =
          keyed
              .withColumn("_h", xxhash64(col("cell_id"), col("perturbed_tokens"), lit(o.seed())))
              .orderBy(col("_h"), col("cell_id"))
              .limit(o.poolSize());
    }
    List<Row> collected =
        rows.select(columns.stream().map(c -> col(c)).toArray(Column[]::new)).collectAsList();
    double[][] pools = new double[columns.size()][];
    for (int s = 0; s < columns.size(); s++) {
      final int c = s;
      pools[s] =
          collected.stream()
              .mapToDouble(r -> r.getDouble(c))
              .filter(v -> !Double.isNaN(v))
              .sorted()
              .toArray();
    }
    details.put("values", n);
    details.put("pool_values", pools[0].length);
    details.put("pool_sampled", sampled);
    details.put("pool_seed", sampled ? o.seed() : null);
    return pools;
  }
}
