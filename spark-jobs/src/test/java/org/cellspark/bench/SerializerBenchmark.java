package org.cellspark.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerBlockUpdated;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.medians.MediansJob;
import org.cellspark.jobs.medians.MediansOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.spark.SparkSessionFactory;

/**
 * Java serialization (Spark's default) against Kryo (with CellsparkKryo, which sessions get), on
 * the two jobs whose shuffles and cached blocks carry Java objects rather than Spark SQL rows:
 * exact medians (per-gene arrays of values) and Matrix Market tokenize (cells kept serialized, then
 * shuffled into barcode ranges). Each serializer gets its own context (the serializer is fixed when
 * a context starts), in alternating rounds; prints time and bytes shuffled / cached, Kryo over
 * Java. Args: ATLAS.h5ad MTX_FOLDER WORK_DIR THREADS [ROUNDS=2]
 */
public final class SerializerBenchmark {
  private SerializerBenchmark() {}

  /** One job's run: seconds, bytes written by shuffles, bytes of cached blocks. */
  private record Run(double seconds, long shuffled, long cached) {}

  public static void main(String[] args) throws Exception {
    Path atlas = Paths.get(args[0]).toAbsolutePath();
    Path mtx = Paths.get(args[1]).toAbsolutePath();
    Path work = Paths.get(args[2]).toAbsolutePath();
    int threads = Integer.parseInt(args[3]);
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 2;
    Map<String, Map<String, String>> serializers = new LinkedHashMap<>();
    serializers.put("java", Map.of());
    serializers.put(
        "kryo", Map.of("spark.serializer", "org.apache.spark.serializer.KryoSerializer"));
    Map<String, double[]> seconds = new LinkedHashMap<>();
    Map<String, long[]> bytes = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Map.Entry<String, Map<String, String>> s : serializers.entrySet()) {
        Map<String, String> conf = new LinkedHashMap<>(s.getValue());
        conf.put("spark.master", "local[" + threads + "]");
        conf.put("spark.ui.enabled", "false");
        SparkSession spark = SparkSessionFactory.getOrCreate("serializer-benchmark", conf);
        Run medians =
            measure(
                spark,
                () ->
                    MediansJob.run(
                        spark,
                        MediansOptions.builder()
                            .inputs(List.of(atlas.toString()))
                            .output(work.resolve("medians-" + s.getKey()).toString())
                            .specialTokens(true)
                            .overwrite(true)
                            .build()));
        Run tokenize =
            measure(
                spark,
                () ->
                    TokenizeJob.run(
                        spark,
                        TokenizeOptions.builder()
                            .input(mtx.toString())
                            .vocabulary("builtin:geneformer-v1")
                            .output(work.resolve("tokens-" + s.getKey()).toString())
                            .overwrite(true)
                            .build()));
        spark.stop();
        System.out.printf(
            Locale.ROOT,
            "round %d %-5s medians %6.1f s, %,13d B shuffled | mtx tokenize %6.1f s, %,13d B"
                + " shuffled, %,13d B cached%n",
            round + 1,
            s.getKey(),
            medians.seconds(),
            medians.shuffled(),
            tokenize.seconds(),
            tokenize.shuffled(),
            tokenize.cached());
        if (round > 0 || rounds == 1) { // the first round warms the JIT and the page cache
          add(seconds, s.getKey() + " medians", medians.seconds());
          add(seconds, s.getKey() + " tokenize", tokenize.seconds());
          bytes.put(s.getKey() + " medians", new long[] {medians.shuffled(), 0});
          bytes.put(s.getKey() + " tokenize", new long[] {tokenize.shuffled(), tokenize.cached()});
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "serializer benchmark: %s and %s, local[%d], %d rounds (first is warm-up)%n",
        atlas.getFileName(),
        mtx.getFileName(),
        threads,
        rounds);
    for (String job : List.of("medians", "tokenize")) {
      double j = seconds.get("java " + job)[0];
      double k = seconds.get("kryo " + job)[0];
      long[] jb = bytes.get("java " + job);
      long[] kb = bytes.get("kryo " + job);
      System.out.printf(
          Locale.ROOT,
          "  %-8s time kryo/java %.3f (%.1f s / %.1f s), shuffled bytes kryo/java %.3f%s%n",
          job,
          k / j,
          k,
          j,
          (double) kb[0] / jb[0],
          jb[1] > 0
              ? String.format(Locale.ROOT, ", cached bytes kryo/java %.3f", (double) kb[1] / jb[1])
              : "");
    }
  }

  private static void add(Map<String, double[]> m, String key, double v) {
    m.computeIfAbsent(key, k -> new double[1])[0] += v;
  }

  private static Run measure(SparkSession spark, Runnable job) throws Exception {
    AtomicLong shuffled = new AtomicLong();
    AtomicLong cached = new AtomicLong();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.taskMetrics() != null) {
              shuffled.addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
            }
          }

          @Override
          public void onBlockUpdated(SparkListenerBlockUpdated update) {
            var info = update.blockUpdatedInfo();
            if (info.blockId().isRDD() && info.storageLevel().isValid()) {
              cached.addAndGet(info.memSize() + info.diskSize());
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    long start = System.nanoTime();
    job.run();
    double s = (System.nanoTime() - start) / 1e9;
    spark.sparkContext().listenerBus().waitUntilEmpty();
    spark.sparkContext().removeSparkListener(listener);
    return new Run(s, shuffled.get(), cached.get());
  }
}
