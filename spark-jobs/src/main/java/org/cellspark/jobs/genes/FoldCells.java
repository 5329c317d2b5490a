package org.cellspark.jobs.genes;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
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
 * Which cells each fold uses in each part (training, validation, test): the cells holding one of
 * the part's genes, found on the executors, and with {@code --max-cells} at most that many per
 * part: those with the smallest hash of their {@code cell_id} seeded with the seed and the fold (a
 * sample that does not depend on partitioning or row order). The sample is taken before the cells
 * travel: Spark keeps the first rows of each (fold, part) group in every task before the shuffle
 * (row_number under a limit), so a fold's task receives at most three samples, not the atlas. Keyed
 * by fold; a partitioner over fold numbers gives fold f partition f, one task each.
 */
final class FoldCells {
  static final int FOLD = 0;
  static final int PART = 1;
  static final int CELL_ID = 2;
  static final int INPUT_IDS = 3;

  private FoldCells() {}

  static JavaPairRDD<Integer, Row> of(
      SparkSession spark,
      Dataset<Row> holding,
      GeneFolds folds,
      int run,
      int vocabularySize,
      long maxCells,
      long seed) {
    GeneFolds.Role[] roles = GeneFolds.Role.values();
    int[][][] classOf = new int[run][roles.length][];
    for (int f = 0; f < run; f++) {
      for (GeneFolds.Role role : roles) {
        classOf[f][role.ordinal()] = folds.classOfToken(f, role, vocabularySize);
      }
    }
    Broadcast<int[][][]> labels =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(classOf);
    StructType schema =
        new StructType()
            .add("fold", DataTypes.IntegerType, false)
            .add("part", DataTypes.IntegerType, false)
            .add("cell_id", DataTypes.StringType, false)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    Dataset<Row> parts =
        spark.createDataFrame(
            holding
                .javaRDD()
                .flatMap(
                    r -> {
                      int[] ids =
                          r.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray();
                      List<Row> out = new ArrayList<>();
                      int[][][] c = labels.value();
                      for (int f = 0; f < c.length; f++) {
                        for (int p = 0; p < c[f].length; p++) {
                          if (labelsAny(ids, c[f][p])) {
                            out.add(RowFactory.create(f, p, r.getString(0), ids));
                          }
                        }
                      }
                      return out.iterator();
                    }),
            schema);
    if (maxCells > 0) {
      parts =
          parts
              .withColumn(
                  "_rank",
                  row_number()
                      .over(
                          Window.partitionBy("fold", "part")
                              .orderBy(
                                  xxhash64(col("cell_id"), col("fold"), lit(seed)),
                                  col("cell_id"))))
              .where(col("_rank").leq(maxCells))
              .drop("_rank");
    }
    return parts
        .javaRDD()
        .mapToPair(r -> new Tuple2<>(r.getInt(FOLD), r))
        .partitionBy(new HashPartitioner(run));
  }

  private static boolean labelsAny(int[] ids, int[] classOfToken) {
    for (int t : ids) {
      if (t >= 0 && t < classOfToken.length && classOfToken[t] >= 0) {
        return true;
      }
    }
    return false;
  }
}
