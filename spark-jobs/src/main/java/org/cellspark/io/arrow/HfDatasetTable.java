package org.cellspark.io.arrow;

import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.MetadataColumn;
import org.apache.spark.sql.connector.catalog.SupportsMetadataColumns;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * A Hugging Face dataset as a Spark table: its columns Spark can read, and, as for Spark's own file
 * sources, a hidden {@code _metadata} column with each row's {@code file_name} and {@code
 * row_index} (its row in its Arrow file).
 */
final class HfDatasetTable implements SupportsRead, SupportsMetadataColumns {
  static final String METADATA = "_metadata";
  static final String FILE_NAME = "file_name";
  static final String ROW_INDEX = "row_index";
  static final StructType METADATA_TYPE =
      new StructType()
          .add(FILE_NAME, DataTypes.StringType, false)
          .add(ROW_INDEX, DataTypes.LongType, false);

  private final HfDataset dataset;

  HfDatasetTable(HfDataset dataset) {
    this.dataset = dataset;
  }

  @Override
  public String name() {
    return dataset.location();
  }

  @Override
  @SuppressWarnings("deprecation") // Spark 3.5 still reads a source's schema through schema()
  public StructType schema() {
    return dataset.sparkSchema();
  }

  @Override
  public Set<TableCapability> capabilities() {
    return Set.of(TableCapability.BATCH_READ);
  }

  @Override
  public MetadataColumn[] metadataColumns() {
    return new MetadataColumn[] {
      new MetadataColumn() {
        @Override
        public String name() {
          return METADATA;
        }

        @Override
        public DataType dataType() {
          return METADATA_TYPE;
        }

        @Override
        public boolean isNullable() {
          return false;
        }
      }
    };
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
    return new HfDatasetScan(SparkSession.active(), dataset);
  }
}
