package org.cellspark.bench;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Writes the benchmarks' synthetic token table ({@link HfDatasetBenchmark#writeTokenTable}: CELLS
 * cells of 256 to MAX_TOKENS random genes of Geneformer V1's vocabulary) to OUT, for a benchmark
 * run through the command line. Args: CELLS MAX_TOKENS OUT.
 */
public final class SyntheticTokenTable {
  private SyntheticTokenTable() {}

  public static void main(String[] args) {
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "synthetic token table",
            java.util.Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
    try {
      HfDatasetBenchmark.writeTokenTable(
          spark, Integer.parseInt(args[0]), Integer.parseInt(args[1]), Path.of(args[2]));
    } finally {
      spark.stop();
    }
  }
}
