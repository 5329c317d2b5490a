package org.cellspark.io.h5ad;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.PrunedScan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.io.hdf5.HdfOpener;

/**
 * AnnData files as a Spark relation: one row per cell in {@link CellCountsSchema}. Files are
 * inspected on the driver (shapes, obs columns); cells are read on executors by row ranges, or (CSC
 * matrices) transposed with one shuffle. A V1 relation rather than DataSource V2 because the CSC
 * path needs a shuffle inside the scan, which only an RDD-returning scan can express.
 */
public final class H5adRelation extends BaseRelation implements PrunedScan {
  private final SQLContext sqlContext;
  private final H5adOptions options;
  private final List<FileInfo> files = new ArrayList<>();
  private final StructType obsSchema;
  private final StructType schema;

  /** What the driver learned about one file. */
  record FileInfo(
      InputFile file, CountsMatrix.Layout layout, long cells, long genes, long matrixBytes) {}

  public H5adRelation(SQLContext sqlContext, H5adOptions options) {
    this.sqlContext = sqlContext;
    this.options = options;
    Map<String, ColumnKind> obsKinds = new LinkedHashMap<>();
    Map<String, String> kindSource = new LinkedHashMap<>();
    for (InputFile f :
        InputFiles.expand(
            options.paths(), ".h5ad", sqlContext.sparkContext().hadoopConfiguration())) {
      try (H5adFile h5 =
          H5adFile.open(
              HdfOpener.onDriver(sqlContext.sparkContext().hadoopConfiguration()),
              f,
              options.counts().modality())) {
        CountsMatrix m = h5.counts(options.counts());
        files.add(new FileInfo(f, m.layout(), m.rows(), m.cols(), m.decompressedBytes()));
        DataFrameGroup obs = h5.obs();
        List<ObsColumn> columns = new ArrayList<>();
        if (options.obsColumns() == null) {
          columns.addAll(obs.readableColumns());
        } else {
          for (String name : options.obsColumns()) {
            ObsColumn c = obs.column(name);
            if (c != null) {
              columns.add(c);
            }
          }
        }
        for (ObsColumn c : columns) {
          ColumnKind before = obsKinds.get(c.name());
          ColumnKind merged = before == null ? c.kind() : widen(before, c.kind());
          if (merged == null) {
            throw UserException.of(
                "obs column '%s' is %s in %s but %s in %s; make the column the same type in every"
                    + " input or leave it out",
                c.name(), before, kindSource.get(c.name()), c.kind(), f.name());
          }
          obsKinds.put(c.name(), merged);
          kindSource.putIfAbsent(c.name(), f.name());
        }
      }
    }
    if (options.obsColumns() != null) {
      for (String name : options.obsColumns()) {
        if (!obsKinds.containsKey(name)) {
          throw UserException.of(
              "obs column '%s' is in none of the inputs (%s)", name, describeFiles());
        }
      }
    }
    List<StructField> fields = new ArrayList<>();
    obsKinds.forEach(
        (name, kind) -> fields.add(DataTypes.createStructField(name, kind.sparkType(), true)));
    this.obsSchema = DataTypes.createStructType(fields);
    this.schema = CellCountsSchema.of(obsSchema);
  }

  private static ColumnKind widen(ColumnKind a, ColumnKind b) {
    if (a == b) {
      return a;
    }
    boolean numeric =
        (a == ColumnKind.LONG || a == ColumnKind.DOUBLE)
            && (b == ColumnKind.LONG || b == ColumnKind.DOUBLE);
    return numeric ? ColumnKind.DOUBLE : null;
  }

  private String describeFiles() {
    return files.size() == 1 ? files.get(0).file().name() : files.size() + " files";
  }

  @Override
  public SQLContext sqlContext() {
    return sqlContext;
  }

  @Override
  public StructType schema() {
    return schema;
  }

  /** Rows are built as InternalRow already; Spark must not convert them. */
  @Override
  public boolean needConversion() {
    return false;
  }

  @Override
  public long sizeInBytes() {
    return files.stream().mapToLong(FileInfo::matrixBytes).sum();
  }

  @Override
  public RDD<Row> buildScan(String[] requiredColumns) {
    List<String> obsFields = new ArrayList<>();
    for (StructField f : obsSchema.fields()) {
      obsFields.add(f.name());
    }
    ScanSpec spec = new ScanSpec(options.counts(), obsFields, requiredColumns);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sqlContext.sparkContext());
    int[] partitions = plan(spec.needsMatrix(), jsc.defaultParallelism());
    HdfOpener opener =
        HdfOpener.forTasks(sqlContext.sparkSession(), files.stream().map(FileInfo::file).toList());

    List<JavaRDD<InternalRow>> parts = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      FileInfo info = files.get(i);
      if (spec.needsMatrix() && info.layout() == CountsMatrix.Layout.CSC) {
        try (H5adFile h5 =
            H5adFile.open(
                HdfOpener.onDriver(sqlContext.sparkContext().hadoopConfiguration()),
                info.file(),
                options.counts().modality())) {
          CountsMatrix.Sparse m = (CountsMatrix.Sparse) h5.counts(options.counts());
          parts.add(
              CscTranspose.rdd(jsc, spec, info.file(), opener, m, partitions[i], partitions[i]));
        }
      } else {
        parts.add(rowRanges(jsc, spec, info, opener, partitions[i]));
      }
    }
    JavaRDD<InternalRow> all = parts.size() == 1 ? parts.get(0) : union(jsc, parts);
    @SuppressWarnings("unchecked")
    RDD<Row> rows = (RDD<Row>) (RDD<?>) all.rdd();
    return rows;
  }

  @SuppressWarnings({"unchecked", "rawtypes"}) // Java cannot create the generic varargs array
  private static JavaRDD<InternalRow> union(
      JavaSparkContext jsc, List<JavaRDD<InternalRow>> parts) {
    return jsc.union(parts.toArray(new JavaRDD[0]));
  }

  private static JavaRDD<InternalRow> rowRanges(
      JavaSparkContext jsc, ScanSpec spec, FileInfo info, HdfOpener opener, int partitions) {
    List<long[]> ranges = new ArrayList<>();
    long cells = info.cells();
    for (int p = 0; p < partitions; p++) {
      long from = cells * p / partitions;
      long to = cells * (p + 1) / partitions;
      if (to > from || cells == 0 && p == 0) {
        ranges.add(new long[] {from, to - from});
      }
    }
    InputFile file = info.file();
    return jsc.parallelize(ranges, Math.max(1, ranges.size()))
        .mapPartitions(
            it -> {
              List<CellRangeReader> readers = new ArrayList<>();
              it.forEachRemaining(
                  r -> readers.add(new CellRangeReader(spec, file, opener, r[0], r[1])));
              return readers.size() == 1 ? readers.get(0) : chain(readers);
            });
  }

  private static Iterator<InternalRow> chain(List<CellRangeReader> readers) {
    return readers.stream()
        .flatMap(
            r -> {
              Iterable<InternalRow> i = () -> r;
              return StreamSupport.stream(i.spliterator(), false);
            })
        .iterator();
  }

  /**
   * Partitions per file: the user's exact number spread over the files by size, or one per {@code
   * spark.sql.files.maxPartitionBytes} of decompressed matrix, and at least the default parallelism
   * in all (so small atlases still use every core).
   */
  int[] plan(boolean readsMatrix, int defaultParallelism) {
    int n = files.size();
    int[] out = new int[n];
    // Read through the public getConf (the SQL conf object is not API on Spark 4), as Spark
    // parses it: bytes, or a number with a unit such as 256m.
    long maxBytes =
        JavaUtils.byteStringAsBytes(sqlContext.getConf("spark.sql.files.maxPartitionBytes"));
    long totalCells = Math.max(1, files.stream().mapToLong(FileInfo::cells).sum());
    long totalBytes = Math.max(1, files.stream().mapToLong(FileInfo::matrixBytes).sum());
    int wanted =
        options.partitions() > 0
            ? options.partitions()
            : (int)
                Math.max(
                    Math.min(defaultParallelism, totalCells),
                    readsMatrix ? (totalBytes + maxBytes - 1) / maxBytes : 1);
    for (int i = 0; i < n; i++) {
      FileInfo f = files.get(i);
      double share =
          readsMatrix ? (double) f.matrixBytes() / totalBytes : (double) f.cells() / totalCells;
      out[i] = (int) Math.max(1, Math.min(Math.max(1, f.cells()), Math.round(share * wanted)));
    }
    if (options.partitions() > 0 && n == 1) {
      out[0] = (int) Math.max(1, Math.min(options.partitions(), Math.max(1, files.get(0).cells())));
    }
    return out;
  }
}
