package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenize (to a Hugging Face dataset), embed and perturb (reading it) on a local cluster (two
 * executor JVMs) while faults strike: half of the tasks fail once part-way through their output
 * (FaultInjection's test hook) and, in every job, the executor running partition 4 is killed with
 * SIGKILL mid-task (so its shuffle files and half-written output go with it). Each output must
 * equal a fault-free run in this JVM: every cell once, the same tokens, embeddings and shifts
 * within 1e-5; no staging folder or task debris left. The faults survived are counted from Spark's
 * event log (the driver's record of why each task ended) and printed; a task that ended for a
 * reason the faults do not explain fails the test.
 */
class FaultToleranceIT {
  private static final List<String> FAULTS =
      List.of(
          "--conf", FaultInjection.FAIL_TASKS + "=0.5",
          "--conf", FaultInjection.KILL_EXECUTOR_AT + "=4",
          // Spark's default; stated because the test relies on it: a task may fail 3 times.
          "--conf", "spark.task.maxFailures=4");

  @TempDir static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void referenceRunsInThisJvm() throws Exception {
    LocalCluster.deleteWorkDir();
    spark =
        SparkSessionFactory.getOrCreate(
            "fault-free", Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    spark.stop();
    LocalCluster.deleteWorkDir();
  }

  private static String[] tokenize(String output, String format) {
    return new String[] {
      "tokenize",
      "--output-format",
      format,
      "--input",
      Fixtures.atlas("classify_atlas.h5ad").toString(),
      "--vocabulary",
      "builtin:geneformer-v1",
      "--min-gene-match",
      "0.1",
      "--attribute",
      "cell_type",
      "--partitions",
      "6",
      "--output",
      output
    };
  }

  private static String[] embed(String tokens, String model, String output) {
    return new String[] {
      "embed", "--input", tokens, "--model", model, "--partitions", "6", "--output", output
    };
  }

  private static String[] perturb(String tokens, String model, String output) {
    return new String[] {
      "perturb",
      "--input",
      tokens,
      "--model",
      model,
      "--perturbation",
      "delete",
      "--genes",
      "all",
      "--max-cells",
      "12",
      "--partitions",
      "6",
      "--output",
      output
    };
  }

  @Test
  void outputsUnderFaultsEqualAFaultFreeRun() throws Exception {
    // The drivers' logs stay in target/ for a look after a failure.
    LocalCluster cluster =
        new LocalCluster(Files.createDirectories(Path.of("target", "fault-tolerance-logs")));
    List<String> model = List.of("--archives", LocalCluster.zippedModel(tmp) + "#tinymodel");
    String tokens = tmp.resolve("tokens").toString();
    String ref = tmp.resolve("ref").toString();
    String tinyModel = LocalCluster.TINY_MODEL.toString();

    // Under faults the tokens are written as a Hugging Face dataset (each task writes its own Arrow
    // file aside and renames it; a killed task leaves its file behind), and embed and perturb read
    // them from there; the fault-free reference is Parquet.
    Faults tokenizeFaults =
        Faults.in(cluster.submitRecorded(FAULTS, tokenize(tokens, "dataset")).eventLogs());
    assertThat(org.cellspark.cli.Main.execute(tokenize(ref + "/tokens", "parquet"))).isZero();
    Dataset<Row> t = spark.read().format("hf_dataset").load(tokens);
    assertThat(t.count())
        .as("every cell once")
        .isEqualTo(t.select("cell_id").distinct().count())
        .isEqualTo(600);
    Dataset<Row> r = spark.read().parquet(ref + "/tokens");
    assertThat(LocalCluster.byCell(t, "input_ids")).isEqualTo(LocalCluster.byCell(r, "input_ids"));
    assertThat(LocalCluster.byCell(t, "cell_type")).isEqualTo(LocalCluster.byCell(r, "cell_type"));

    String emb = tmp.resolve("emb").toString();
    Faults embedFaults =
        Faults.in(
            cluster
                .submitRecorded(concat(model, FAULTS), embed(tokens, "tinymodel", emb))
                .eventLogs());
    assertThat(org.cellspark.cli.Main.execute(embed(ref + "/tokens", tinyModel, ref + "/emb")))
        .isZero();
    Dataset<Row> e = spark.read().parquet(emb + "/cells");
    assertThat(e.count())
        .as("every cell once")
        .isEqualTo(e.select("cell_id").distinct().count())
        .isEqualTo(600);
    LocalCluster.assertSameCellEmbeddings(spark, Path.of(emb), Path.of(ref, "emb"), 600);

    String screen = tmp.resolve("screen").toString();
    Faults perturbFaults =
        Faults.in(
            cluster
                .submitRecorded(concat(model, FAULTS), perturb(tokens, "tinymodel", screen))
                .eventLogs());
    assertThat(org.cellspark.cli.Main.execute(perturb(ref + "/tokens", tinyModel, ref + "/screen")))
        .isZero();
    Map<String, Double> shifts = shifts(screen);
    Map<String, Double> expectedShifts = shifts(ref + "/screen");
    assertThat(shifts).isNotEmpty();
    assertThat(shifts.keySet()).isEqualTo(expectedShifts.keySet());
    shifts.forEach(
        (k, v) ->
            assertThat(v)
                .as(k)
                .isCloseTo(expectedShifts.get(k), org.assertj.core.data.Offset.offset(1e-5)));

    System.out.printf(
        "FaultToleranceIT: survived (injected task failures / executors killed / consequences):"
            + " tokenize %d / %d / %s, embed %d / %d / %s, perturb %d / %d / %s%n",
        tokenizeFaults.injected,
        tokenizeFaults.executorsLost,
        tokenizeFaults.consequences,
        embedFaults.injected,
        embedFaults.executorsLost,
        embedFaults.consequences,
        perturbFaults.injected,
        perturbFaults.executorsLost,
        perturbFaults.consequences);
    for (Faults f : List.of(tokenizeFaults, embedFaults, perturbFaults)) {
      assertThat(f.injected).as("injected task failures survived").isPositive();
      assertThat(f.executorsLost).as("executors lost and survived").isPositive();
    }
    try (Stream<Path> left = Files.walk(tmp)) {
      assertThat(left.map(Path::getFileName).map(Path::toString))
          .as("no staging folders or task attempts left")
          .noneMatch(
              n ->
                  n.contains("cellspark-staging")
                      || n.equals("_temporary")
                      || n.matches(".*\\.arrow\\.[0-9a-f]{8}-.*")); // a dataset file written aside
    }
  }

  /**
   * Faults the driver saw, from Spark's event log: every SparkListenerTaskEnd with its
   * TaskEndReason. Each failed task is an injected failure (an ExceptionFailure whose trace holds
   * FaultInjection's InjectedFault), or a consequence of the faults: a task on the killed executor
   * (ExecutorLostFailure), a shuffle fetch from it (FetchFailed), a finished map task whose output
   * went with it (Resubmitted), an attempt killed because its stage finished or another attempt
   * succeeded (TaskKilled), or a commit denied to a second attempt of a task (TaskCommitDenied).
   * Anything else fails the test: a fault the harness did not cause.
   */
  private record Faults(long injected, long executorsLost, Map<String, Long> consequences) {
    static Faults in(Path eventLogs) throws IOException {
      List<Path> files;
      try (Stream<Path> s = Files.list(eventLogs)) {
        files = s.toList();
      }
      assertThat(files).as("one event log in %s", eventLogs).hasSize(1);
      ObjectMapper json = new ObjectMapper();
      long injected = 0;
      java.util.Set<String> lostExecutors = new java.util.TreeSet<>();
      Map<String, Long> consequences = new java.util.TreeMap<>();
      for (String line : Files.readAllLines(files.get(0))) {
        JsonNode event = json.readTree(line);
        if (!"SparkListenerTaskEnd".equals(event.path("Event").asText())) {
          continue;
        }
        JsonNode reason = event.path("Task End Reason");
        String kind = reason.path("Reason").asText();
        String task =
            "stage "
                + event.path("Stage ID").asInt()
                + " task "
                + event.at("/Task Info/Index").asInt()
                + " attempt "
                + event.at("/Task Info/Attempt").asInt()
                + ": "
                + reason;
        switch (kind) {
          case "Success" -> {}
          case "ExceptionFailure" -> {
            assertThat(
                    reason.path("Full Stack Trace").asText() + reason.path("Description").asText())
                .as("a task failed for a reason the test did not cause: %s", task)
                .contains("InjectedFault");
            injected++;
          }
          case "ExecutorLostFailure" -> {
            lostExecutors.add(reason.path("Executor ID").asText());
            consequences.merge(kind, 1L, Long::sum);
          }
          case "FetchFailed", "Resubmitted", "TaskCommitDenied" ->
              consequences.merge(kind, 1L, Long::sum);
          case "TaskKilled" -> {
            assertThat(reason.path("Kill Reason").asText())
                .as("why a task was killed: %s", task)
                .containsAnyOf("Stage finished", "another attempt succeeded");
            consequences.merge(kind, 1L, Long::sum);
          }
          default ->
              throw new AssertionError("a task ended for a reason the test did not cause: " + task);
        }
      }
      return new Faults(injected, lostExecutors.size(), consequences);
    }
  }

  private static Map<String, Double> shifts(String screen) {
    List<Row> rows =
        spark
            .read()
            .parquet(screen + "/cell_shifts")
            .selectExpr(
                "concat(cell_id, '/', cast(perturbed_tokens as string))", "cosine_similarity")
            .collectAsList();
    Map<String, Double> out =
        rows.stream().collect(Collectors.toMap(r -> r.getString(0), r -> r.getDouble(1)));
    assertThat(out).as("every (cell, perturbation) once").hasSize(rows.size());
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
