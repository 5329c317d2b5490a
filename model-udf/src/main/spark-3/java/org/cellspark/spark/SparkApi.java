package org.cellspark.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.expressions.UserDefinedFunction;

/**
 * What differs between Spark 3 and Spark 4's interfaces, in Cellspark's own code. This copy is for
 * Spark 3 (3.5, Scala 2.12, the default build); its twin in src/main/spark-4 is for Spark 4's
 * builds ({@code mvn -Pspark-4.0}, {@code -Pspark-4.2}). Everything else compiles against both.
 */
final class SparkApi {
  private SparkApi() {}

  /**
   * A UDF called on one argument, as the Catalyst expression a SQL function's builder returns
   * (Spark 4 took Column's Expression constructor and {@code expr()} out of its API).
   */
  static Expression call(UserDefinedFunction udf, Expression argument) {
    return udf.apply(new Column(argument)).expr();
  }
}
