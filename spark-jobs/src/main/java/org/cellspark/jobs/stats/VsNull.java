package org.cellspark.jobs.stats;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.perturb.PerturbOptions;
import org.cellspark.statistics.BenjaminiHochberg;
import org.cellspark.statistics.RankSumTest;

/**
 * vs_null (reference 6.4): per gene of the test screen, its values against the same gene's values
 * in a null screen (the same perturbation in other cells): means, their difference, a two-sided
 * rank-sum p-value (1 when the null has no value for the gene, as upstream's NaN becomes 1), BH
 * FDR, Sig. The values are the shifts toward the goal state when the screens modelled states, else
 * the cosine similarities. Sorted by Sig and the difference (descending), then FDR.
 */
final class VsNull {
  private VsNull() {}

  static StatsTable compute(SparkSession spark, Screen test, Screen none, StatsOptions o) {
    if (!test.perturbation().equals(none.perturbation())) {
      throw UserException.of(
          "--mode vs-null compares the same perturbation: --input %s is '%s', --null %s is '%s'",
          test.folder(), test.perturbation(), none.folder(), none.perturbation());
    }
    String column =
        test.states() == null
            ? "cosine_similarity"
            : PerturbOptions.States.shiftColumn(test.states().goal());
    if (!Arrays.asList(none.cellShifts().columns()).contains(column)) {
      throw UserException.of(
          "--null %s has no column %s: run the null screen with the same --states as --input %s",
          none.folder(), column, test.folder());
    }
    Dataset<Row> t = GeneValues.of(test.keyedCells(), List.of(column));
    Dataset<Row> n =
        GeneValues.of(none.keyedCells(), List.of(column))
            .select(col(Screen.GENE), col("_v0").as("_null"), col("_n").as("_null_n"));
    Dataset<Row> joined =
        t.join(n, t.col(Screen.GENE).equalTo(n.col(Screen.GENE)), "left")
            .select(
                t.col(Screen.GENE),
                t.col(Screen.GENE_NAME),
                t.col(Screen.ENSEMBL_ID),
                t.col("_v0"),
                t.col("_n"),
                n.col("_null"),
                n.col("_null_n"));
    List<Object[]> genes =
        new ArrayList<>(
            joined
                .javaRDD()
                .map(
                    r -> {
                      double[] tv = GeneValues.values(r, 0);
                      double[] nv =
                          r.isNullAt(5)
                              ? new double[0]
                              : r.<Double>getList(5).stream()
                                  .mapToDouble(Double::doubleValue)
                                  .toArray();
                      Arrays.sort(nv);
                      double tm = GeneValues.mean(tv);
                      double nm = GeneValues.mean(nv);
                      double p = RankSumTest.pValue(nv, tv);
                      return new Object[] {
                        r.getString(0),
                        r.getString(1),
                        r.getString(2),
                        tm,
                        nm,
                        tm - nm,
                        Double.isNaN(p) ? 1.0 : p,
                        null,
                        r.getLong(4),
                        r.isNullAt(6) ? 0L : r.getLong(6),
                        null
                      };
                    })
                .collect());
    double[] fdr =
        BenjaminiHochberg.adjust(genes.stream().mapToDouble(g -> (Double) g[6]).toArray());
    for (int g = 0; g < genes.size(); g++) {
      genes.get(g)[7] = fdr[g];
      genes.get(g)[10] = fdr[g] < o.fdrThreshold() ? 1 : 0;
    }
    StructType schema =
        Screen.geneColumns()
            .add("Test_avg_shift", DataTypes.DoubleType)
            .add("Null_avg_shift", DataTypes.DoubleType)
            .add("Test_vs_null_avg_shift", DataTypes.DoubleType)
            .add("Test_vs_null_pval", DataTypes.DoubleType)
            .add("Test_vs_null_FDR", DataTypes.DoubleType)
            .add("N_Detections_test", DataTypes.LongType, false)
            .add("N_Detections_null", DataTypes.LongType, false)
            .add("Sig", DataTypes.IntegerType, false);
    var order =
        StatsTable.descInt(10)
            .thenComparing(StatsTable.desc(5))
            .thenComparing(StatsTable.asc(7))
            .thenComparing(StatsTable.byString(0));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("genes", genes.size());
    details.put("values", column);
    details.put("null", none.describe());
    return new StatsTable(StatsTable.local(spark, schema, genes, order), true, details);
  }
}
