package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Airflow DAGs in conf/airflow pass our CLI only arguments it has (no drift): their jobs, read
 * without Airflow by src/test/python/airflow_dag_args.py (Python's ast), must parse as `cellspark`
 * command lines (every option real, required ones present, values of the right type), and the DAG
 * files may hold no other option than spark-submit's own. Skipped where /usr/bin/python3 is absent
 * (CI images without Python).
 */
class AirflowDagsTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Set<String> SPARK_SUBMIT_OPTIONS =
      Set.of(
          "--master",
          "--deploy-mode",
          "--class",
          "--jars",
          "--conf",
          "--files",
          "--archives",
          "--packages",
          "--driver-memory",
          "--executor-memory",
          "--num-executors",
          "--executor-cores",
          "--properties-file");

  private static JsonNode dags() throws Exception {
    assumeThat(Files.isExecutable(PYTHON)).as("/usr/bin/python3 reads the DAG files").isTrue();
    Path root = Fixtures.repositoryRoot();
    Process p =
        new ProcessBuilder(
                PYTHON.toString(),
                root.resolve("spark-jobs/src/test/python/airflow_dag_args.py").toString(),
                root.resolve("conf/airflow").toString())
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as("airflow_dag_args.py: %s", out)
        .isTrue();
    return new ObjectMapper().readTree(out);
  }

  @Test
  void everyJobParsesAsACellsparkCommandLine() throws Exception {
    JsonNode d = dags();
    List<String> pipeline = new ArrayList<>();
    d.get("pipeline").forEach(n -> pipeline.add(n.asText()));
    assertThat(pipeline).containsExactly("tokenize", "embed", "perturb", "stats");
    for (Map.Entry<String, JsonNode> job : d.get("jobs").properties()) {
      List<String> args = new ArrayList<>();
      job.getValue().forEach(n -> args.add(n.asText()));
      assertThat(args.get(0))
          .as("job %s runs the command of its name", job.getKey())
          .isEqualTo(job.getKey());
      // Parsing checks option names, arity, required options and typed values, without running
      // anything.
      CommandLine cli = new CommandLine(new Main());
      cli.setCaseInsensitiveEnumValuesAllowed(true);
      CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(new String[0]));
      assertThat(parsed.hasSubcommand()).isTrue();
      assertThat(parsed.subcommand().commandSpec().name()).isEqualTo(job.getKey());
      assertThat(parsed.subcommand().unmatched()).as("job %s", job.getKey()).isEmpty();
    }
  }

  @Test
  void dagFilesRunThePipelineAndHoldNoOtherJobOption() throws Exception {
    JsonNode d = dags();
    List<String> files = new ArrayList<>();
    d.get("dags").fieldNames().forEachRemaining(files::add);
    assertThat(files)
        .containsExactlyInAnyOrder(
            "cellspark_spark_submit.py", "cellspark_emr.py", "cellspark_dataproc.py");
    for (String f : files) {
      JsonNode dag = d.get("dags").get(f);
      List<String> uses = new ArrayList<>();
      dag.get("uses").forEach(n -> uses.add(n.asText()));
      assertThat(uses).as(f).contains("JOBS", "PIPELINE", "MAIN_CLASS");
      assertThat(dag.get("operators").size()).as(f).isPositive();
      dag.get("options")
          .forEach(
              o ->
                  assertThat(SPARK_SUBMIT_OPTIONS)
                      .as("%s passes %s outside JOBS", f, o.asText())
                      .contains(o.asText()));
    }
  }

  @Test
  void dagsRetryTimeOutAndRunOneAtATime() throws Exception {
    JsonNode d = dags();
    List<String> keys = new ArrayList<>();
    d.at("/dag_args/keys").forEach(n -> keys.add(n.asText()));
    assertThat(keys).contains("max_active_runs", "default_args", "catchup");
    List<String> defaults = new ArrayList<>();
    d.at("/dag_args/default_args").forEach(n -> defaults.add(n.asText()));
    assertThat(defaults).contains("retries", "retry_delay");
    for (Map.Entry<String, JsonNode> dag : d.get("dags").properties()) {
      dag.getValue()
          .get("operator_keywords")
          .forEach(
              k -> {
                List<String> kw = new ArrayList<>();
                k.forEach(n -> kw.add(n.asText()));
                assertThat(kw)
                    .as("%s: every task has a timeout", dag.getKey())
                    .contains("execution_timeout");
              });
    }
    // EMR: the task that adds a step waits for it, so a retry adds the step again.
    JsonNode emr = d.at("/dags/cellspark_emr.py");
    assertThat(emr.get("operators").toString()).doesNotContain("Sensor");
    assertThat(emr.get("operator_keywords").get(0).toString()).contains("wait_for_completion");
  }

  @Test
  void theJobsLiteralReadsTheSameWithoutPython() throws Exception {
    // AirflowPipelineTest reads the jobs with AirflowJobs (no Python in CI): it must agree with
    // Python's ast.
    JsonNode d = dags();
    AirflowJobs jobs =
        AirflowJobs.read(Fixtures.repositoryRoot().resolve("conf/airflow/cellspark_jobs.py"));
    JsonNode javaJobs = new ObjectMapper().valueToTree(jobs.jobs());
    JsonNode javaPipeline = new ObjectMapper().valueToTree(jobs.pipeline());
    assertThat(javaJobs).isEqualTo(d.get("jobs"));
    assertThat(javaPipeline).isEqualTo(d.get("pipeline"));
  }

  @Test
  void aWrongOptionIsCaught() {
    // The check itself: picocli refuses an option the command does not have.
    CommandLine cli = new CommandLine(new Main());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                cli.parseArgs(
                    "stats", "--input", "a", "--output", "b", "--mode", "x", "--pvalue", "0.1"))
        .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
  }
}
