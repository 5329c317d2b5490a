package org.cellspark.bench;

import ai.djl.Device;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.embed.EmbedResult;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Spark's overhead in {@code cellspark embed} (bench/embed/README.md): the job end to end (token
 * Parquet to embeddings Parquet) on local[N] against the raw engine on the same cells, N worker
 * threads, in the same run. Args: WORK_DIR THREADS
 */
public final class EmbedJobBenchmark {
  private EmbedJobBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]).toAbsolutePath();
    int threads = Integer.parseInt(args[1]);
    List<int[]> cells = BenchCells.read(work.resolve("cells.txt"));
    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "embed-job-benchmark",
            Map.of("spark.master", "local[" + threads + "]", "spark.ui.enabled", "false"));
    String tokens = work.resolve("job/tokens").toString();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      rows.add(
          RowFactory.create(
              String.format(Locale.ROOT, "cell%04d", i),
              Arrays.stream(cells.get(i)).boxed().toList(),
              cells.get(i).length));
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("length", DataTypes.IntegerType);
    // As tokenize writes it: cells in input order, split into contiguous partitions.
    spark
        .createDataFrame(rows, schema)
        .coalesce(1)
        .repartitionByRange(threads, org.apache.spark.sql.functions.col("cell_id"))
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(tokens);

    EmbeddingSettings settings =
        new EmbeddingSettings(-1, Pooling.MEAN, BatchBudget.AUTO, 0, -1, -1);
    double engine;
    try (Encoder encoder = ModelLoader.load(work.resolve("model"), Device.cpu())) {
      EmbedBenchmark.run(encoder, settings, cells.subList(0, 4), threads, true); // warm-up
      engine = EmbedBenchmark.run(encoder, settings, cells, threads, true)[0];
    }
    EmbedOptions options =
        EmbedOptions.of(
                tokens, work.resolve("model").toString(), work.resolve("job/out").toString())
            .withVocabulary("builtin:geneformer-v1")
            .withExecution(BatchBudget.AUTO, org.cellspark.model.Precision.FP32, 0, true);
    EmbedResult r = EmbedJob.run(spark, options);
    double job = r.cells() / r.seconds();
    System.out.printf(
        Locale.ROOT,
        "embed job benchmark: %d cells, local[%d], V1-sized random model%n",
        cells.size(),
        threads);
    System.out.printf(
        Locale.ROOT, "  raw engine, %d workers:                 %8.3f cells/s%n", threads, engine);
    System.out.printf(
        Locale.ROOT,
        "  cellspark embed end to end (Parquet in, Parquet out): %8.3f cells/s in %.1f s%n",
        job,
        r.seconds());
    System.out.printf(
        Locale.ROOT, "  Spark overhead: %.1f%% (target < 10%%)%n", 100 * (1 - job / engine));
    spark.stop();
  }
}
