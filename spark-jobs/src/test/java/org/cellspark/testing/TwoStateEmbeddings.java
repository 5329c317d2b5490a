package org.cellspark.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * An embeddings table any classifier gets right: 160 cells in two well-separated clusters of 4-D
 * embeddings ({@code state} alpha or beta, alternating), over eight donors ({@code donor}), seeded.
 */
public final class TwoStateEmbeddings {
  private TwoStateEmbeddings() {}

  /** Writes the table as Parquet at {@code table} and returns its location. */
  public static String write(SparkSession spark, Path table) {
    List<Row> rows = new ArrayList<>();
    Random random = new Random(3);
    for (int i = 0; i < 160; i++) {
      boolean a = i % 2 == 0;
      Float[] v = new Float[4];
      for (int k = 0; k < 4; k++) {
        v[k] = (float) (random.nextGaussian() * 0.3 + (a == (k < 2) ? 1 : -1));
      }
      rows.add(RowFactory.create("c" + i, a ? "alpha" : "beta", "donor" + (i % 8), v));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("state", DataTypes.StringType)
            .add("donor", DataTypes.StringType)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    spark.createDataFrame(rows, schema).write().parquet(table.toString());
    return table.toString();
  }
}
