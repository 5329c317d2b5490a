package org.cellspark.io.arrow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans the read of a dataset: a task per data file, and for a file larger than Spark's split size
 * ({@code spark.sql.files.maxPartitionBytes}, 128 MB by default) a task per run of its record
 * batches of about that size. A token dataset saved by datasets 1.x is one {@code dataset.arrow} of
 * any size, and the jobs keep their input's partitions, so without this one task would embed a
 * whole corpus. Only the columns the query reads are handed to Spark.
 */
final class HfDatasetScan implements ScanBuilder, SupportsPushDownRequiredColumns, Scan, Batch {
  private static final Logger LOG = LoggerFactory.getLogger(HfDatasetScan.class);
  private final SparkSession spark;
  private final HfDataset dataset;
  private StructType required;

  HfDatasetScan(SparkSession spark, HfDataset dataset) {
    this.spark = spark;
    this.dataset = dataset;
    this.required = dataset.sparkSchema();
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    this.required = requiredSchema;
  }

  @Override
  public Scan build() {
    return this;
  }

  @Override
  public StructType readSchema() {
    return required;
  }

  @Override
  public String description() {
    return "HfDataset " + dataset.location();
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public InputPartition[] planInputPartitions() {
    long splitBytes = spark.sessionState().conf().filesMaxPartitionBytes();
    Configuration conf = spark.sessionState().newHadoopConf();
    List<InputPartition> splits = new ArrayList<>();
    for (Path file : dataset.files()) {
      try {
        FileSystem fs = file.getFileSystem(conf);
        FileStatus status = fs.getFileStatus(file);
        if (status.getLen() <= splitBytes) {
          splits.add(ArrowSplit.whole(file.toString(), file.getName()));
          continue;
        }
        splits.addAll(split(file, layout(fs, status), splitBytes));
      } catch (IOException e) {
        throw UserException.because(
            e, "Cannot read input %s: %s", file, FileSystemHints.explain(file.toString(), e));
      }
    }
    return splits.toArray(InputPartition[]::new);
  }

  /**
   * Layouts already read in this JVM, by file, size and modification time: a job plans its input
   * once per action, and on an object store reading a large file's headers takes a request per
   * record batch. Small: a layout is three numbers a batch of 1,000 cells.
   */
  private static final Map<String, ArrowStreamLayout> LAYOUTS =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ArrowStreamLayout> eldest) {
              return size() > 256;
            }
          });

  private static ArrowStreamLayout layout(FileSystem fs, FileStatus status) throws IOException {
    String key = status.getPath() + ":" + status.getLen() + ":" + status.getModificationTime();
    ArrowStreamLayout known = LAYOUTS.get(key);
    if (known != null) {
      return known;
    }
    long started = System.nanoTime();
    ArrowStreamLayout layout;
    try (FSDataInputStream in = fs.open(status.getPath())) {
      layout = ArrowStreamLayout.scan(in, status.getLen());
    }
    LOG.info(
        "{}: {} bytes, {} record batches (headers read in {} ms)",
        status.getPath(),
        status.getLen(),
        layout.batches().size(),
        (System.nanoTime() - started) / 1_000_000);
    LAYOUTS.put(key, layout);
    return layout;
  }

  /** Runs of whole record batches of about {@code splitBytes} each. */
  static List<ArrowSplit> split(Path file, ArrowStreamLayout layout, long splitBytes) {
    if (layout.dictionaries() || layout.batches().isEmpty()) {
      return List.of(ArrowSplit.whole(file.toString(), file.getName()));
    }
    List<ArrowSplit> out = new ArrayList<>();
    List<ArrowStreamLayout.Batch> batches = layout.batches();
    int first = 0;
    long firstRow = 0;
    long rows = 0;
    for (int i = 0; i < batches.size(); i++) {
      rows += batches.get(i).rows();
      boolean last = i == batches.size() - 1;
      if (last || batches.get(i + 1).end() - batches.get(first).start() > splitBytes) {
        out.add(
            new ArrowSplit(
                file.toString(),
                file.getName(),
                layout.schemaEnd(),
                batches.get(first).start(),
                i - first + 1,
                firstRow));
        first = i + 1;
        firstRow = rows;
      }
    }
    return out;
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    Broadcast<SerializableWritable<Configuration>> conf =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .broadcast(new SerializableWritable<>(spark.sessionState().newHadoopConf()));
    return new ArrowReaderFactory(conf, required, dataset.arrowSchema());
  }
}
