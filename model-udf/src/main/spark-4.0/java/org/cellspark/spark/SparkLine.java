package org.cellspark.spark;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.UserDefinedFunctionUtils;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What differs between the Spark lines Cellspark is built for, in Cellspark's own code. This copy
 * is for Apache Spark 4.0 on Scala 2.13 ({@code mvn -Pspark-4.0}); its twin in src/main/spark-3.5
 * is for Spark 3.5 on Scala 2.12, the default build. Everything else compiles against both.
 */
public final class SparkLine {
  /** The Spark line this build is for. */
  public static final String SPARK = "4.0";

  /** The Scala binary version of that line's Spark. */
  public static final String SCALA = "2.13";

  private SparkLine() {}

  /**
   * A UDF called on one argument, as the Catalyst expression a SQL function's builder returns
   * (Spark 4.0's Column holds an API-level node that only the analyzer turns into an expression,
   * too late for a function builder: the UDF's own expression is made here instead).
   */
  static Expression call(UserDefinedFunction udf, Expression argument) {
    return UserDefinedFunctionUtils.toScalaUDF(
        (SparkUserDefinedFunction) udf, CollectionConverters.asScala(List.of(argument)).toSeq());
  }
}
