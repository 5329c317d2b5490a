package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.PathGlobs;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Airflow DAGs' pipeline (conf/airflow/cellspark_jobs.py, the literal command lines every DAG
 * submits) run through the CLI on fixture data twice over the same workdir, as a re-triggered DAG
 * or a cleared task runs it: both passes succeed, the replacing jobs give the same outputs again,
 * and the screen, which resumes, is kept as the first pass wrote it. The workdir, the atlas and the
 * model have spaces in their paths, as users' folders do (PathsWithSpacesTest: every format), and
 * the workdir and the atlas glob characters (which Hadoop's globbing once read as patterns: the
 * screen's own checkpoint files were not found; PathsWithGlobCharactersTest).
 */
@ExtendWith(SharedSpark.class)
class AirflowPipelineTest {
  @TempDir Path tmp;

  @Test
  void thePipelineRunsTwiceOverTheSameWorkdir(SparkSession spark) throws Exception {
    AirflowJobs dag =
        AirflowJobs.read(Fixtures.repositoryRoot().resolve("conf/airflow/cellspark_jobs.py"));
    Map<String, String> params = new LinkedHashMap<>();
    // The demo's atlas (real V1 gene IDs: the DAG tokenizes with builtin:geneformer-v1) and tiny
    // model.
    Path demo =
        Fixtures.repositoryRoot().resolve("spark-jobs/src/main/resources/org/cellspark/demo");
    Path data = Files.createDirectories(tmp.resolve("my data"));
    Files.copy(demo.resolve("sample_atlas.h5ad"), data.resolve("sample atlas [v1].h5ad"));
    Path model = Files.createDirectories(data.resolve("tiny model"));
    try (var files = Files.list(demo.resolve("model"))) {
      for (Path f : files.toList()) {
        Files.copy(f, model.resolve(f.getFileName().toString()));
      }
    }
    Path workdir = tmp.resolve("my runs {2026}");
    params.put("atlas", data.resolve("sample atlas [v1].h5ad").toString());
    params.put("workdir", workdir.toString());
    params.put("model", model.toString());
    params.put("genes", "LYZ,CD14");
    params.put("start_state", "monocyte");
    params.put("goal_state", "T cell");

    List<Map<String, String>> passes = new ArrayList<>();
    for (int pass = 1; pass <= 2; pass++) {
      Map<String, String> summaries = new LinkedHashMap<>();
      for (String job : dag.pipeline()) {
        CliRun run = CliRun.of(dag.args(job, params).toArray(new String[0]));
        assertThat(run.exitCode()).as("pass %d, %s: %s", pass, job, run.err()).isZero();
      }
      for (String output : List.of("tokens", "embeddings", "screen", "stats")) {
        summaries.put(output, Files.readString(workdir.resolve(output).resolve("_cellspark.json")));
      }
      passes.add(summaries);
    }
    // The screen was kept, byte for byte (a second screen would have new timings).
    assertThat(passes.get(1).get("screen")).isEqualTo(passes.get(0).get("screen"));
    assertThat(rows(spark, workdir.resolve("screen/cell_shifts"))).isPositive();
    // The jobs that replace their output wrote it again (the same cells, new timings).
    assertThat(passes.get(1).get("tokens")).isNotEqualTo(passes.get(0).get("tokens"));
    assertThat(rows(spark, workdir.resolve("tokens"))).isEqualTo(1969); // 31 cells fail filter_pass
  }

  private static long rows(SparkSession spark, Path table) {
    // Escaped: Spark reads a path as a glob pattern, and the workdir's name holds "{2026}".
    List<Row> count =
        spark.read().parquet(PathGlobs.literal(table.toString())).groupBy().count().collectAsList();
    return count.get(0).getLong(0);
  }
}
