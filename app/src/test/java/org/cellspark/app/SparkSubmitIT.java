package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar run as a cluster runs it: {@code org.apache.spark.deploy.SparkSubmit} with a
 * {@code local-cluster} master, so the executors are separate JVMs started by Spark's workers from
 * a SPARK_HOME holding Spark's jars (target/spark-home, made by the build), receiving the app jar,
 * libtorch (--jars) and the model (--archives, named by its alias) over Spark's file server.
 * tokenize then embed must give what the same jobs give in this JVM (jvm-stack.md 3.2-3.4:
 * classpath and path problems appear only there).
 */
class SparkSubmitIT {
  private static final Path APP = Path.of(System.getProperty("app.jar"));
  private static final Path SPARK_HOME = Path.of(System.getProperty("spark.home"));
  private static final Path LIBTORCH = Path.of(System.getProperty("libtorch.jar"));

  @TempDir Path tmp;

  private String submit(String... job) throws IOException, InterruptedException {
    return submit(List.of(), job);
  }

  private String submit(List<String> shipping, String... job) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", SPARK_HOME.resolve("jars") + "/*"));
    cmd.addAll(List.of(System.getProperty("spark.java17.opens", "").split(" ")).stream().filter(s -> !s.isBlank()).toList());
    cmd.addAll(List.of("org.apache.spark.deploy.SparkSubmit", "--master", "local-cluster[2,1,1024]",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.executorEnv.DJL_OFFLINE=true", "--conf", "spark.executorEnv.OPT_OUT_TRACKING=true",
        "--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
            + " -Dai.djl.pytorch.num_interop_threads=1",
        "--jars", LIBTORCH.toString(), "--class", "org.cellspark.cli.Main"));
    cmd.addAll(shipping);
    cmd.add(APP.toString());
    cmd.addAll(List.of(job));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(job[0] + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", SPARK_HOME.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("DJL_OFFLINE", "true");
    Process p = pb.start();
    boolean done = p.waitFor(6, TimeUnit.MINUTES);
    String log = Files.readString(tmp.resolve(job[0] + ".log"));
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done && p.exitValue() == 0).as("spark-submit %s exited 0; its output:%n%s", job[0], log).isTrue();
    return log;
  }

  @Test
  void tokenizeAndEmbedOnALocalClusterGiveWhatTheyGiveInProcess() throws Exception {
    long start = System.currentTimeMillis();
    deleteWorkDir();
    String atlas = Fixtures.atlas("classify_atlas.h5ad").toString();
    String model = Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny").toString();
    submit("tokenize", "--input", atlas, "--vocabulary", "builtin:geneformer-v1", "--min-gene-match", "0.1",
        "--output", tmp.resolve("tokens").toString());
    // The model travels as a cluster ships it: an archive unpacked in every executor's working
    // folder (and on the driver), named by its alias, not by a path the executors share.
    Path zip = tmp.resolve("tiny-model.zip");
    try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      for (String f : List.of("config.json", "model.safetensors")) {
        z.putNextEntry(new java.util.zip.ZipEntry(f));
        Files.copy(Path.of(model).resolve(f), z);
        z.closeEntry();
      }
    }
    String embedLog = submit(List.of("--archives", zip + "#tinymodel"), "embed", "--input", tmp.resolve("tokens").toString(),
        "--model", "tinymodel", "--output", tmp.resolve("emb").toString());
    assertThat(embedLog).contains("embedded 600 cells");
    // The executors were processes of their own: Spark's workers keep their logs under SPARK_HOME/work.
    try (Stream<Path> logs = Files.walk(SPARK_HOME.resolve("work"))) {
      assertThat(logs.filter(f -> f.getFileName().toString().equals("stderr") && f.toFile().lastModified() >= start).count())
          .isGreaterThanOrEqualTo(2);
    }

    SparkSession spark = SparkSessionFactory.getOrCreate("in-process", Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
    try {
      TokenizeJob.run(spark, TokenizeOptions.builder().input(atlas).vocabulary("builtin:geneformer-v1").minGeneMatch(0.1)
          .output(tmp.resolve("tokens-local").toString()).build());
      EmbedJob.run(spark, EmbedOptions.of(tmp.resolve("tokens-local").toString(), model, tmp.resolve("emb-local").toString()));
      assertThat(byCell(spark, tmp.resolve("tokens").toString(), "input_ids"))
          .isEqualTo(byCell(spark, tmp.resolve("tokens-local").toString(), "input_ids"));
      Map<String, Object> cluster = byCell(spark, tmp.resolve("emb/cells").toString(), "embedding");
      Map<String, Object> local = byCell(spark, tmp.resolve("emb-local/cells").toString(), "embedding");
      assertThat(cluster.keySet()).hasSize(600).isEqualTo(local.keySet());
      cluster.forEach((cell, v) -> {
        double[] a = ((Vector) v).toArray();
        double[] b = ((Vector) local.get(cell)).toArray();
        for (int i = 0; i < a.length; i++) {
          assertThat(a[i]).as("%s[%d]", cell, i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5));
        }
      });
    } finally {
      spark.stop();
      deleteWorkDir(); // each executor keeps copies of the app jar and libtorch there: 0.5 GB per run
    }
  }

  private static void deleteWorkDir() throws IOException {
    Path work = SPARK_HOME.resolve("work");
    if (Files.exists(work)) {
      try (Stream<Path> all = Files.walk(work)) {
        for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static Map<String, Object> byCell(SparkSession spark, String folder, String column) {
    return spark.read().parquet(folder).select("cell_id", column).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), (Row r) -> r.get(1) instanceof scala.collection.Seq<?> ? r.getList(1) : r.get(1)));
  }
}
