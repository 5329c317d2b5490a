package org.cellspark.io.h5ad;

import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.RelationProvider;
import scala.collection.JavaConverters;
import scala.collection.immutable.Map;

/**
 * {@code spark.read.format("h5ad")}: AnnData files, one row per cell (see {@link H5adOptions} for
 * the options and {@link org.cellspark.io.cells.CellCountsSchema} for the columns). Registered in
 * {@code META-INF/services/org.apache.spark.sql.sources.DataSourceRegister}.
 */
public final class H5adDataSource implements RelationProvider, DataSourceRegister {
  @Override
  public String shortName() {
    return "h5ad";
  }

  // scala.collection.JavaConverters is deprecated on Scala 2.13 (Spark 4.0) for a class that
  // 2.12 (Spark 3.5) lacks; it is there on both, so one source serves both builds.
  @SuppressWarnings("deprecation")
  @Override
  public BaseRelation createRelation(SQLContext sqlContext, Map<String, String> parameters) {
    return new H5adRelation(sqlContext, H5adOptions.from(JavaConverters.mapAsJavaMap(parameters)));
  }
}
