package org.cellspark.bench;

import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.sum;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Reading token tables: the same cells as Cellspark's Parquet (int32 lists) and as upstream's
 * Hugging Face dataset saved by datasets 1.x (one {@code dataset.arrow}, int64 lists, record
 * batches of 1,000 cells), each read the way the model jobs read them ({@link TokenTable#read}) and
 * every token summed; the dataset read by one task (the whole file) and split between its record
 * batches (the default). Rounds alternate; the first is left out. bench/hf-dataset/README.md. Args:
 * CELLS MAX_TOKENS WORK_DIR THREADS ROUNDS
 */
public final class HfDatasetBenchmark {
  private HfDatasetBenchmark() {}

  public static void main(String[] args) throws IOException {
    int cells = Integer.parseInt(args[0]);
    int maxTokens = Integer.parseInt(args[1]);
    Path work = Paths.get(args[2]).toAbsolutePath();
    int threads = Integer.parseInt(args[3]);
    int rounds = Integer.parseInt(args[4]);
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "hf-dataset-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    Path parquet = work.resolve("tokens.parquet");
    Path dataset = work.resolve("tokens.dataset");
    if (!Files.exists(dataset.resolve("state.json"))) {
      writeTokenTable(spark, cells, maxTokens, parquet);
      writeDataset(cells, maxTokens, dataset);
    }
    String[] names = {"Parquet (Cellspark)", ".dataset, one task", ".dataset, split"};
    List<List<Double>> rates = new ArrayList<>();
    long[] checksums = new long[3];
    for (int i = 0; i < 3; i++) {
      rates.add(new ArrayList<>());
    }
    for (int round = 0; round <= rounds; round++) {
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        checksums[i] = read(spark, i == 0 ? parquet : dataset, i == 1);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round > 0) {
          rates.get(i).add(cells / seconds);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "hf-dataset benchmark: %,d cells of up to %,d tokens (Parquet %s, dataset.arrow %s),"
            + " local[%d], %d rounds%n",
        cells,
        maxTokens,
        size(parquet),
        size(dataset),
        threads,
        rounds);
    double parquetRate = Rounds.median(rates.get(0));
    double wholeRate = Rounds.median(rates.get(1));
    for (int i = 0; i < 3; i++) {
      double rate = Rounds.median(rates.get(i));
      System.out.printf(
          Locale.ROOT,
          "  %-22s %,10.0f cells/s  ratio to Parquet %.2f%s  (token sum %d)%n",
          names[i],
          rate,
          rate / parquetRate,
          i == 2 ? String.format(Locale.ROOT, ", to one task %.2f", rate / wholeRate) : "",
          checksums[i]);
    }
    if (checksums[0] != checksums[1] || checksums[1] != checksums[2]) {
      throw new IllegalStateException("the three reads disagree: not the same cells");
    }
    spark.stop();
  }

  /** Sums every token of every cell, as a model job reads the table. */
  private static long read(SparkSession spark, Path table, boolean oneTaskPerFile) {
    return SparkJobs.withSessionConf(
        spark,
        "spark.sql.files.maxPartitionBytes",
        oneTaskPerFile ? Long.toString(Long.MAX_VALUE / 4) : "134217728",
        () ->
            TokenTable.read(spark, table.toString())
                .cells()
                .agg(sum(expr("aggregate(input_ids, 0L, (a, x) -> a + x)")))
                .first()
                .getLong(0));
  }

  /** Cell i's tokens: distinct ids in the V1 vocabulary's range, 256 to maxTokens of them. */
  public static long[] tokens(int i, int maxTokens) {
    SplittableRandom random = new SplittableRandom(1_000_003L * i);
    int n = 256 + random.nextInt(maxTokens - 255);
    long[] out = new long[n];
    for (int k = 0; k < n; k++) {
      out[k] = 4 + random.nextInt(25_422);
    }
    return out;
  }

  /**
   * A token table of {@code cells} synthetic cells ({@link #tokens}), as the benchmarks read one:
   * cell_id, input_ids, length, and a label of two classes (a, a third of the cells; b).
   */
  public static void writeTokenTable(SparkSession spark, int cells, int maxTokens, Path out) {
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("length", DataTypes.IntegerType)
            .add("label", DataTypes.StringType);
    spark
        .range(cells)
        .map(
            (MapFunction<Long, Row>)
                i -> {
                  long[] t = tokens(i.intValue(), maxTokens);
                  int[] ids = new int[t.length];
                  for (int k = 0; k < t.length; k++) {
                    ids[k] = (int) t[k];
                  }
                  return RowFactory.create("c" + i, ids, ids.length, i % 3 == 0 ? "a" : "b");
                },
            Encoders.row(schema))
        .write()
        .mode("overwrite")
        .parquet(out.toString());
  }

  /** One dataset.arrow as datasets 1.x saved a corpus: an Arrow stream of 1,000-cell batches. */
  private static void writeDataset(int cells, int maxTokens, Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("state.json"), "{\"_data_files\": [{\"filename\": \"dataset.arrow\"}]}");
    Field item = new Field("item", FieldType.nullable(new ArrowType.Int(64, true)), null);
    Schema schema =
        new Schema(
            List.of(
                new Field("input_ids", FieldType.nullable(new ArrowType.List()), List.of(item)),
                Field.nullable("length", new ArrowType.Int(64, true)),
                Field.nullable("cell_type", new ArrowType.Utf8())));
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        OutputStream out = Files.newOutputStream(dir.resolve("dataset.arrow"));
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      writer.start();
      ListVector ids = (ListVector) root.getVector("input_ids");
      BigIntVector length = (BigIntVector) root.getVector("length");
      VarCharVector type = (VarCharVector) root.getVector("cell_type");
      for (int first = 0; first < cells; first += 1000) {
        int rows = Math.min(1000, cells - first);
        root.allocateNew();
        UnionListWriter w = ids.getWriter();
        for (int r = 0; r < rows; r++) {
          long[] t = tokens(first + r, maxTokens);
          w.setPosition(r);
          w.startList();
          for (long v : t) {
            w.writeBigInt(v);
          }
          w.endList();
          length.setSafe(r, t.length);
          type.setSafe(
              r, ("type" + (first + r) % 7).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        ids.setValueCount(rows);
        root.setRowCount(rows);
        writer.writeBatch();
      }
      writer.end();
    }
  }

  private static String size(Path p) throws IOException {
    long bytes;
    try (var files = Files.walk(p)) {
      bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
    return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
  }
}
