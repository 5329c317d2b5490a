package org.cellspark.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.expressions.UserDefinedFunction;

/**
 * What differs between the Spark lines Cellspark is built for, in Cellspark's own code. This copy
 * is for Apache Spark 3.5 on Scala 2.12, the default build; its twin in src/main/spark-4.0 is for
 * Spark 4.0 on Scala 2.13 ({@code mvn -Pspark-4.0}). Everything else compiles against both.
 */
public final class SparkLine {
  /** The Spark line this build is for. */
  public static final String SPARK = "3.5";

  /** The Scala binary version of that line's Spark. */
  public static final String SCALA = "2.12";

  private SparkLine() {}

  /**
   * A UDF called on one argument, as the Catalyst expression a SQL function's builder returns
   * (Spark 4.0 took Column's Expression constructor and {@code expr()} out of its API).
   */
  static Expression call(UserDefinedFunction udf, Expression argument) {
    return udf.apply(new Column(argument)).expr();
  }
}
