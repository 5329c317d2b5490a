package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Vectors;

/**
 * The application jar run as a cluster runs it: {@code org.apache.spark.deploy.SparkSubmit} with a
 * {@code local-cluster[2,1,1024]} master, so the executors are separate JVMs started by Spark's
 * workers from a SPARK_HOME holding Spark's jars (target/spark-home, made by the build), receiving
 * the app jar, libtorch (--jars) and files (--archives) over Spark's file server.
 */
final class LocalCluster {
  static final Path APP = Path.of(System.getProperty("app.jar"));
  static final Path SPARK_HOME = Path.of(System.getProperty("spark.home"));
  static final Path LIBTORCH = Path.of(System.getProperty("libtorch.jar"));
  static final Path TINY_MODEL =
      Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny");

  /** The same model as transformers saved before safetensors: pytorch_model.bin. */
  static final Path TINY_MODEL_BIN = TINY_MODEL.resolveSibling("v1-tiny-bin");

  private final Path logs;

  LocalCluster(Path logs) {
    this.logs = logs;
  }

  /**
   * Runs {@code cellspark job...} through spark-submit with the extra spark-submit arguments
   * ({@code --conf}, {@code --archives}); asserts exit code 0 and returns the driver's output.
   */
  String submit(List<String> sparkSubmitArgs, String... job)
      throws IOException, InterruptedException {
    return submitRecorded(sparkSubmitArgs, job).driverOutput();
  }

  /**
   * Runs commands one after another in one application, as a notebook on the cluster runs them
   * (NotebookSession: one session, made before the first command, with spark-submit's settings;
   * every command reuses its executors); asserts that each exited 0 and returns the driver's
   * output.
   */
  String submitInOneSession(List<String> sparkSubmitArgs, List<List<String>> commands)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    for (List<String> command : commands) {
      if (!args.isEmpty()) {
        args.add(NotebookSession.NEXT);
      }
      args.addAll(command);
    }
    String name = commands.stream().map(c -> c.get(0)).collect(Collectors.joining("+"));
    String out =
        run(NotebookSession.class.getName(), notebookJar(), sparkSubmitArgs, name, args, 0);
    for (List<String> command : commands) {
      assertThat(out).contains("NotebookSession: " + command.get(0) + " exited 0");
    }
    return out;
  }

  /** NotebookSession's class in a jar for --jars (the app jar holds only the product). */
  private Path notebookJar() throws IOException {
    Path jar = logs.resolve("notebook-session.jar");
    String entry = NotebookSession.class.getName().replace('.', '/') + ".class";
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar));
        var in = NotebookSession.class.getClassLoader().getResourceAsStream(entry)) {
      z.putNextEntry(new ZipEntry(entry));
      in.transferTo(z);
      z.closeEntry();
    }
    return jar;
  }

  /**
   * What a submitted job left: the driver's output, and the folder of Spark's event log (one file,
   * JSON lines).
   */
  record Submitted(String driverOutput, Path eventLogs) {}

  /**
   * As {@link #submit}, with Spark's event log on: the driver's own record of every task's end and
   * why.
   */
  Submitted submitRecorded(List<String> sparkSubmitArgs, String... job)
      throws IOException, InterruptedException {
    Path events =
        Files.createDirectories(logs.resolve("events-" + job[0] + "-" + System.nanoTime()));
    List<String> recorded =
        new ArrayList<>(
            List.of(
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.dir=" + events.toUri(),
                "--conf",
                "spark.eventLog.compress=false",
                // One file per application, as Spark 3.5 writes by default (4.0 rolls the log
                // into a folder of files by default).
                "--conf",
                "spark.eventLog.rolling.enabled=false"));
    recorded.addAll(sparkSubmitArgs);
    return new Submitted(
        run("org.cellspark.cli.Main", null, recorded, job[0], List.of(job), 0), events);
  }

  /**
   * Runs {@code cellspark job...} through spark-submit, as {@link #submit} does, for a job that is
   * to be refused: asserts exit code 2 and returns the driver's output.
   */
  String submitRefused(List<String> sparkSubmitArgs, String... job)
      throws IOException, InterruptedException {
    return run("org.cellspark.cli.Main", null, sparkSubmitArgs, job[0], List.of(job), 2);
  }

  /**
   * spark-submit of {@code mainClass} (in the app jar, or in {@code extraJar}) with these
   * arguments, which is to exit with {@code exitCode}; {@code name} names its log.
   */
  private String run(
      String mainClass,
      Path extraJar,
      List<String> sparkSubmitArgs,
      String name,
      List<String> mainArgs,
      int exitCode)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                // Driver and executors here are short-lived JVMs on small inputs, whose time goes
                // to starting up: the client compiler alone (no C2) cut the integration tests'
                // time by a third (SparkSubmitIT 186 s to 120 s, FaultToleranceIT 85 s to 48 s).
                // What they test (classes, paths, serialization between JVMs) is the same.
                "-XX:TieredStopAtLevel=1",
                "-cp",
                SPARK_HOME.resolve("jars") + "/*"));
    cmd.addAll(java17Options());
    cmd.addAll(
        List.of(
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "local-cluster[2,1,1024]",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.executorEnv.DJL_OFFLINE=true",
            "--conf",
            "spark.executorEnv.OPT_OUT_TRACKING=true",
            "--conf",
            "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
                + " -Dai.djl.pytorch.num_interop_threads=1 -XX:TieredStopAtLevel=1",
            "--jars",
            extraJar == null ? LIBTORCH.toString() : LIBTORCH + "," + extraJar,
            "--class",
            mainClass));
    cmd.addAll(sparkSubmitArgs);
    cmd.add(APP.toString());
    cmd.addAll(mainArgs);
    Path log = logs.resolve(name + "-" + System.nanoTime() + ".log");
    System.out.println("LocalCluster: " + name + " log at " + log);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", SPARK_HOME.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("DJL_OFFLINE", "true");
    long start = System.nanoTime();
    Process p = pb.start();
    boolean done = p.waitFor(6, TimeUnit.MINUTES);
    System.out.printf("LocalCluster: %s took %.1f s%n", name, (System.nanoTime() - start) / 1e9);
    String out = Files.readString(log);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done && p.exitValue() == exitCode)
        .as("spark-submit %s exited %d; its output:%n%s", name, exitCode, out)
        .isTrue();
    return out;
  }

  /** The options Spark needs on Java 17 (bin/spark-class's, from the build's property). */
  static List<String> java17Options() {
    return List.of(System.getProperty("spark.java17.opens", "").split(" ")).stream()
        .filter(s -> !s.isBlank())
        .toList();
  }

  /**
   * The tiny model as a cluster ships it: a zip for {@code --archives ZIP#ALIAS}, unpacked in every
   * executor's working folder (and the driver's), named by its alias rather than by a shared path.
   */
  static Path zippedModel(Path folder) throws IOException {
    return zippedModel(folder, TINY_MODEL);
  }

  /** The model folder {@code model} (config.json and its weights) zipped for {@code --archives}. */
  static Path zippedModel(Path folder, Path model) throws IOException {
    Path zip = folder.resolve(model.getFileName() + ".zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip));
        Stream<Path> files = Files.list(model)) {
      for (Path f : files.sorted().toList()) {
        z.putNextEntry(new ZipEntry(f.getFileName().toString()));
        Files.copy(f, z);
        z.closeEntry();
      }
    }
    return zip;
  }

  /**
   * Spark's workers keep each executor's folder (app jar, libtorch: 0.5 GB per run) under
   * SPARK_HOME/work.
   */
  static void deleteWorkDir() throws IOException {
    deleteTree(SPARK_HOME.resolve("work"));
  }

  /** Deletes a folder and everything under it, if it exists. */
  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Two embed outputs' cell embeddings: the same {@code cells} cells, each within 1e-5. */
  static void assertSameCellEmbeddings(SparkSession spark, Path out, Path reference, int cells) {
    Map<String, Object> got = byCell(spark, out.resolve("cells").toString(), "embedding");
    Map<String, Object> want = byCell(spark, reference.resolve("cells").toString(), "embedding");
    assertThat(got.keySet()).hasSize(cells).isEqualTo(want.keySet());
    got.forEach(
        (cell, v) ->
            assertThat(
                    Vectors.maxAbsDiff(((Vector) v).toArray(), ((Vector) want.get(cell)).toArray()))
                .as(cell)
                .isLessThanOrEqualTo(1e-5));
  }

  /** One column of a Parquet output by cell (lists for arrays), for comparing runs. */
  static Map<String, Object> byCell(SparkSession spark, String folder, String column) {
    return byCell(spark.read().parquet(folder), column);
  }

  static Map<String, Object> byCell(Dataset<Row> table, String column) {
    return table.select("cell_id", column).collectAsList().stream()
        .collect(
            Collectors.toMap(
                r -> r.getString(0),
                (Row r) -> r.get(1) instanceof scala.collection.Seq<?> ? r.getList(1) : r.get(1)));
  }
}
