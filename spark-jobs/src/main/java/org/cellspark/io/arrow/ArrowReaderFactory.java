package org.cellspark.io.arrow;

import java.io.IOException;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;

/** Makes the columnar reader of each split on the executors. */
final class ArrowReaderFactory implements PartitionReaderFactory {
  private static final long serialVersionUID = 1L;
  private final Broadcast<SerializableWritable<Configuration>> conf;
  private final StructType required;
  private final String expectedSchema; // Arrow's Schema is not Serializable; its JSON is

  ArrowReaderFactory(
      Broadcast<SerializableWritable<Configuration>> conf, StructType required, Schema expected) {
    this.conf = conf;
    this.required = required;
    this.expectedSchema = expected.toJson();
  }

  @Override
  public boolean supportColumnarReads(InputPartition partition) {
    return true;
  }

  @Override
  public PartitionReader<InternalRow> createReader(InputPartition partition) {
    throw new UnsupportedOperationException("Arrow splits are read as columnar batches");
  }

  @Override
  public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
    ArrowSplit split = (ArrowSplit) partition;
    try {
      return new ArrowSplitReader(
          split, conf.value().value(), required, Schema.fromJSON(expectedSchema));
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read %s: %s", split.file(), FileSystemHints.explain(split.file(), e));
    }
  }
}
