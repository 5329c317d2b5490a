package org.cellspark.spark;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.UserDefinedFunctionUtils;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What differs between Spark 3 and Spark 4's interfaces, in Cellspark's own code. This copy is for
 * Spark 4's builds ({@code mvn -Pspark-4.0}, {@code -Pspark-4.2}; Scala 2.13); its twin in
 * src/main/spark-3 is for Spark 3.5, the default build. Everything else compiles against both.
 */
final class SparkApi {
  private SparkApi() {}

  /**
   * A UDF called on one argument, as the Catalyst expression a SQL function's builder returns
   * (Spark 4's Column holds an API-level node that only the analyzer turns into an expression, too
   * late for a function builder: the UDF's own expression is made here instead).
   */
  static Expression call(UserDefinedFunction udf, Expression argument) {
    return UserDefinedFunctionUtils.toScalaUDF(
        (SparkUserDefinedFunction) udf, CollectionConverters.asScala(List.of(argument)).toSeq());
  }
}
