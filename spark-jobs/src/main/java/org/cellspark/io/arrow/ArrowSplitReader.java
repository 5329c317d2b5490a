package org.cellspark.io.arrow;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.cellspark.error.UserException;

/**
 * Reads one {@link ArrowSplit} as columnar batches, one per Arrow record batch: Spark reads the
 * Arrow vectors in place ({@link ArrowColumnVector}), with no copy into Spark's own vectors.
 * Arrow's own stream reader decodes the messages; for a split of a larger file it reads the
 * stream's schema message, then the split's record batches, and is stopped after the last of them.
 */
final class ArrowSplitReader implements PartitionReader<ColumnarBatch> {
  private final ArrowSplit split;
  private final BufferAllocator allocator = ArrowMemory.newAllocator();
  private final FSDataInputStream in;
  private final ArrowStreamReader reader;
  private final ColumnVector[] columns;
  private final OnHeapColumnVector metadata; // null when _metadata is not asked for
  private final byte[] fileName;
  private ColumnarBatch batch;
  private long nextRow;
  private int batchesRead;

  ArrowSplitReader(ArrowSplit split, Configuration conf, StructType required, Schema expected)
      throws IOException {
    this.split = split;
    this.fileName = split.fileName().getBytes(StandardCharsets.UTF_8);
    this.nextRow = split.firstRow();
    Path path = new Path(split.file());
    this.in = path.getFileSystem(conf).open(path);
    try {
      this.reader = new ArrowStreamReader(stream(), allocator);
      Schema schema = reader.getVectorSchemaRoot().getSchema();
      this.columns = new ColumnVector[required.size()];
      OnHeapColumnVector meta = null;
      for (int i = 0; i < required.size(); i++) {
        StructField f = required.fields()[i];
        if (f.name().equals(HfDatasetTable.METADATA)) {
          meta = new OnHeapColumnVector(1024, f.dataType());
          columns[i] = meta;
        } else {
          checkSameType(schema, expected, f.name());
          columns[i] = new ArrowColumnVector(reader.getVectorSchemaRoot().getVector(f.name()));
        }
      }
      this.metadata = meta;
    } catch (IOException | RuntimeException e) {
      close();
      if (e instanceof UserException u) {
        throw u;
      }
      throw damaged(e);
    }
  }

  private UserException damaged(Exception e) {
    return UserException.because(
        e,
        "%s: cannot read its Arrow record batches (%s); the file is damaged or cut short (copy"
            + " it again), or written with options Spark's Arrow does not read, such as"
            + " compressed buffers (write it again as datasets does by default, or as Parquet)",
        split.file(),
        e.getMessage());
  }

  private InputStream stream() throws IOException {
    if (split.isWhole()) {
      return in;
    }
    // Arrow's reader reads message by message, so it reads no further than the split's last batch.
    byte[] schema = new byte[(int) split.schemaEnd()];
    in.readFully(0, schema);
    in.seek(split.start());
    return new SequenceInputStream(new ByteArrayInputStream(schema), in);
  }

  /** Every file of a dataset has the same schema; one that differs is named. */
  private void checkSameType(Schema actual, Schema expected, String column) {
    Field want = expected.findField(column);
    Field got = find(actual, column);
    if (got == null || !got.getType().equals(want.getType()) || !sameChildren(got, want)) {
      throw UserException.of(
          "%s: column '%s' is %s here but %s in the dataset's first file; the files of one dataset"
              + " must share their columns",
          split.file(),
          column,
          got == null ? "missing" : ArrowTypes.describe(got),
          ArrowTypes.describe(want));
    }
  }

  private static Field find(Schema schema, String name) {
    for (Field f : schema.getFields()) {
      if (f.getName().equals(name)) {
        return f;
      }
    }
    return null;
  }

  private static boolean sameChildren(Field a, Field b) {
    List<Field> x = a.getChildren();
    List<Field> y = b.getChildren();
    if (x.size() != y.size()) {
      return false;
    }
    for (int i = 0; i < x.size(); i++) {
      if (!x.get(i).getType().equals(y.get(i).getType()) || !sameChildren(x.get(i), y.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean next() throws IOException {
    if (!split.isWhole() && batchesRead == split.batches()) {
      return false;
    }
    boolean loaded;
    try {
      loaded = reader.loadNextBatch();
    } catch (IOException | RuntimeException e) {
      throw damaged(e);
    }
    if (!loaded) {
      return false;
    }
    int rows = reader.getVectorSchemaRoot().getRowCount();
    if (metadata != null) {
      fillMetadata(rows);
    }
    batch = new ColumnarBatch(columns, rows);
    nextRow += rows;
    batchesRead++;
    return true;
  }

  /** Fills {@code _metadata} (or the fields of it the query reads) for the batch's rows. */
  private void fillMetadata(int rows) {
    metadata.reset();
    metadata.reserve(rows);
    StructField[] fields = ((StructType) metadata.dataType()).fields();
    for (int r = 0; r < rows; r++) {
      metadata.putNotNull(r);
      for (int c = 0; c < fields.length; c++) {
        if (fields[c].name().equals(HfDatasetTable.FILE_NAME)) {
          metadata.getChild(c).putByteArray(r, fileName);
        } else {
          metadata.getChild(c).putLong(r, nextRow + r);
        }
      }
    }
  }

  @Override
  public ColumnarBatch get() {
    return batch;
  }

  @Override
  public void close() throws IOException {
    try (in;
        allocator) {
      if (metadata != null) {
        metadata.close();
      }
      if (reader != null) {
        reader.close(false); // the stream is closed with in
      }
    }
  }
}
