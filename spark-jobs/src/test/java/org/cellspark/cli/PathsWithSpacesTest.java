package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Expected;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs and outputs whose paths hold spaces, as users' folders do ("Google Drive", "my runs"):
 * each reader once turned the file's URI (where a space is "%20") back into a path and looked for a
 * file with "%20" in its name, so every tokenize of such a file failed with "does not exist". Here
 * through the CLI: two AnnData files tokenized together (their cell IDs prefixed with their names,
 * spaces kept), a Matrix Market folder and an AnnData zarr store, each into an output folder with a
 * space, with the tokens the fixtures' references hold. (Embed, perturb and stats on such paths:
 * AirflowPipelineTest, whose workdir, atlas and model have spaces in their paths.)
 */
@ExtendWith(SharedSpark.class)
class PathsWithSpacesTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();

  @TempDir Path tmp;

  @Test
  void everyFormatIsReadFromAndWrittenToPathsWithSpaces(SparkSession spark) throws Exception {
    Path in = Files.createDirectories(tmp.resolve("my data ü"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), in.resolve("atlas #1 ü.h5ad"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), in.resolve("atlas (50%).h5ad"));
    copyTree(
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x"),
        in.resolve("ten x"));
    copyTree(Fixtures.zarr("csr_zlib.zarr"), in.resolve("csr zlib.zarr"));
    Path out = tmp.resolve("my runs");

    run(
        "tokenize",
        "--input",
        in.resolve("atlas #1 ü.h5ad") + "," + in.resolve("atlas (50%).h5ad"),
        "--vocabulary",
        V2,
        "--output",
        out.resolve("tokens h5ad").toString());
    Map<String, List<Integer>> h5ad = tokens(spark, out.resolve("tokens h5ad"));
    Map<String, List<Integer>> expected = Expected.tokens("v2");
    assertThat(h5ad).hasSize(2 * expected.size());
    expected.forEach(
        (cell, ids) -> {
          assertThat(h5ad.get("atlas #1 ü:" + cell)).as(cell).isEqualTo(ids);
          assertThat(h5ad.get("atlas (50%):" + cell)).as(cell).isEqualTo(ids);
        });
    assertThat(
            spark
                .read()
                .parquet(out.resolve("tokens h5ad").toString())
                .select("source")
                .distinct()
                .collectAsList()
                .stream()
                .map(r -> r.getString(0))
                .sorted())
        .containsExactly("atlas #1 ü.h5ad", "atlas (50%).h5ad");

    run(
        "tokenize",
        "--input",
        in.resolve("ten x").toString(),
        "--vocabulary",
        "builtin:geneformer-v1",
        "--min-gene-match",
        "0.1",
        "--output",
        out.resolve("tokens mtx").toString());
    run(
        "tokenize",
        "--input",
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x")
            .toString(),
        "--vocabulary",
        "builtin:geneformer-v1",
        "--min-gene-match",
        "0.1",
        "--output",
        tmp.resolve("reference-mtx").toString());
    assertThat(tokens(spark, out.resolve("tokens mtx")))
        .hasSize(600)
        .isEqualTo(tokens(spark, tmp.resolve("reference-mtx")));

    run(
        "tokenize",
        "--input",
        in.resolve("csr zlib.zarr").toString(),
        "--vocabulary",
        V2,
        "--output",
        out.resolve("tokens zarr").toString());
    run(
        "tokenize",
        "--input",
        Fixtures.zarr("csr_zlib.zarr").toString(),
        "--vocabulary",
        V2,
        "--output",
        tmp.resolve("reference-zarr").toString());
    assertThat(tokens(spark, out.resolve("tokens zarr")))
        .isNotEmpty()
        .isEqualTo(tokens(spark, tmp.resolve("reference-zarr")));
    // Outputs are the folders named, not ones with "%20" in their names.
    try (Stream<Path> all = Files.walk(tmp)) {
      assertThat(all.map(Path::toString)).noneMatch(p -> p.contains("%20"));
    }
  }

  private static void run(String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
  }

  private static Map<String, List<Integer>> tokens(SparkSession spark, Path folder) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Row r : spark.read().parquet(folder.toString()).collectAsList()) {
      out.put(r.getString(r.fieldIndex("cell_id")), r.getList(r.fieldIndex("input_ids")));
    }
    return out;
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
