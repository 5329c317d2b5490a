package org.cellspark.spark;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.TableScan;
import org.apache.spark.sql.types.StructType;

/**
 * Makes a DataFrame of rows built directly in Spark's internal format (no per-row conversion of
 * arrays, which would box every token), through the public relation API.
 */
public final class InternalRowsRelation extends BaseRelation implements TableScan {
  private final SQLContext sqlContext;
  private final StructType schema;
  private final RDD<InternalRow> rows;

  private InternalRowsRelation(SQLContext sqlContext, StructType schema, RDD<InternalRow> rows) {
    this.sqlContext = sqlContext;
    this.schema = schema;
    this.rows = rows;
  }

  public static Dataset<Row> dataFrame(
      SparkSession spark, StructType schema, RDD<InternalRow> rows) {
    return spark.baseRelationToDataFrame(
        new InternalRowsRelation(spark.sqlContext(), schema, rows));
  }

  @Override
  public SQLContext sqlContext() {
    return sqlContext;
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public boolean needConversion() {
    return false;
  }

  @Override
  @SuppressWarnings("unchecked")
  public RDD<Row> buildScan() {
    return (RDD<Row>) (RDD<?>) rows;
  }
}
