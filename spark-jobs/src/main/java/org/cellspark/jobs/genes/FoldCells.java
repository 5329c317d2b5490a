package org.cellspark.jobs.genes;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Which cells each fold uses in each part (training, validation, test, and the genes to predict):
 * the cells holding one of the part's genes, found on the executors, one row per fold and cell with
 * the parts it serves as bits ({@code 1 << part}), keyed by unit: fold f's trial t (with --search;
 * else t is 0) is unit f x trials + t, and a partitioner over unit numbers gives unit u partition
 * u, one task each (every trial of a fold gets the fold's cells). With {@code --max-cells}, at most
 * that many per part: those with the smallest hash of their {@code cell_id} seeded with the seed
 * and the fold (a sample that does not depend on partitioning or row order), chosen before any
 * tokens travel: the parts are found from the cells' IDs and genes alone, Spark keeps each task's
 * first rows per fold and part before the shuffle (row_number under a limit), and only the chosen
 * cells are joined back to their tokens. So a fold's task receives at most its samples (three, or
 * four), not the atlas.
 */
final class FoldCells {
  /**
   * A cell as a fold's task receives it: its ID, the parts it serves (bits), its tokens. A plain
   * object with an int array travels through the shuffle several times faster than a row of boxed
   * integers.
   */
  record FoldCell(String cellId, int parts, int[] tokens) implements Serializable {}

  /** At most this many chosen (fold, cell) rows are sent to the tasks instead of a join shuffle. */
  private static final long BROADCAST_ROWS = 2_000_000;

  private FoldCells() {}

  static JavaPairRDD<Integer, FoldCell> of(
      SparkSession spark,
      Dataset<Row> holding,
      GeneFolds folds,
      int run,
      int trials,
      int vocabularySize,
      long maxCells,
      long seed) {
    // PREDICT last: left out when no gene is to be predicted (a fourth pass over every cell's
    // tokens).
    GeneFolds.Role[] roles =
        Arrays.copyOf(
            GeneFolds.Role.values(),
            folds.predicted().length == 0
                ? GeneFolds.Role.PREDICT.ordinal()
                : GeneFolds.Role.values().length);
    int[][][] classOf = new int[run][roles.length][];
    for (int f = 0; f < run; f++) {
      for (GeneFolds.Role role : roles) {
        classOf[f][role.ordinal()] = folds.classOfToken(f, role, vocabularySize);
      }
    }
    Broadcast<int[][][]> labels =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(classOf);
    if (maxCells == 0) {
      return holding
          .javaRDD()
          .flatMapToPair(
              r -> {
                int[] ids = tokens(r.getList(1));
                List<Tuple2<Integer, FoldCell>> out = new ArrayList<>();
                int[] parts = parts(ids, labels.value());
                for (int f = 0; f < parts.length; f++) {
                  if (parts[f] != 0) {
                    toUnits(f, trials, new FoldCell(r.getString(0), parts[f], ids), out);
                  }
                }
                return out.iterator();
              })
          .partitionBy(new HashPartitioner(run * trials));
    }
    StructType membership =
        new StructType()
            .add("fold", DataTypes.IntegerType, false)
            .add("part", DataTypes.IntegerType, false)
            .add("cell_id", DataTypes.StringType, false);
    Dataset<Row> members =
        spark.createDataFrame(
            holding
                .javaRDD()
                .flatMap(
                    r -> {
                      List<Row> out = new ArrayList<>();
                      int[] parts = parts(tokens(r.getList(1)), labels.value());
                      for (int f = 0; f < parts.length; f++) {
                        for (int p = 0; p < roles.length; p++) {
                          if ((parts[f] & (1 << p)) != 0) {
                            out.add(RowFactory.create(f, p, r.getString(0)));
                          }
                        }
                      }
                      return out.iterator();
                    }),
            membership);
    Dataset<Row> sample =
        members
            .withColumn(
                "_rank",
                row_number()
                    .over(
                        Window.partitionBy("fold", "part")
                            .orderBy(
                                xxhash64(col("cell_id"), col("fold"), lit(seed)), col("cell_id"))))
            .where(col("_rank").leq(maxCells))
            .groupBy("fold", "cell_id")
            .agg(expr("bit_or(shiftleft(1, part))").as("parts"));
    // The chosen IDs go to every task reading the tokens (no shuffle of the table) while they
    // are few: at most folds x 3 x --max-cells rows, a few tens of bytes each.
    if ((long) run * roles.length * maxCells <= BROADCAST_ROWS) {
      sample = broadcast(sample);
    }
    Dataset<Row> chosen =
        holding.join(sample, "cell_id").select("fold", "parts", "cell_id", "input_ids");
    return chosen
        .javaRDD()
        .flatMapToPair(
            r -> {
              List<Tuple2<Integer, FoldCell>> out = new ArrayList<>(trials);
              toUnits(
                  r.getInt(0),
                  trials,
                  new FoldCell(r.getString(2), r.getInt(1), tokens(r.getList(3))),
                  out);
              return out.iterator();
            })
        .partitionBy(new HashPartitioner(run * trials));
  }

  /** A fold's cell once for each of its trials: unit fold x trials + trial, keyed by unit. */
  private static void toUnits(
      int fold, int trials, FoldCell cell, List<Tuple2<Integer, FoldCell>> out) {
    for (int t = 0; t < trials; t++) {
      out.add(new Tuple2<>(fold * trials + t, cell));
    }
  }

  private static int[] tokens(List<Integer> ids) {
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** For each fold, the parts a cell serves: bit p set when it holds one of part p's genes. */
  private static int[] parts(int[] ids, int[][][] classOf) {
    int[] out = new int[classOf.length];
    for (int f = 0; f < classOf.length; f++) {
      for (int p = 0; p < classOf[f].length; p++) {
        for (int t : ids) {
          if (t >= 0 && t < classOf[f][p].length && classOf[f][p][t] >= 0) {
            out[f] |= 1 << p;
            break;
          }
        }
      }
    }
    return out;
  }
}
