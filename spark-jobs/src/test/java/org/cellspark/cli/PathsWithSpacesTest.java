package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Expected;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
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
    Path mtx =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x");
    copyTree(mtx, in.resolve("ten x"));
    copyTree(Fixtures.zarr("csr_zlib.zarr"), in.resolve("csr zlib.zarr"));
    Path out = tmp.resolve("my runs");

    Map<String, List<Integer>> h5ad =
        tokenize(
            spark,
            in.resolve("atlas #1 ü.h5ad") + "," + in.resolve("atlas (50%).h5ad"),
            V2,
            out.resolve("tokens h5ad"));
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

    String v1 = "builtin:geneformer-v1";
    assertThat(tokenize(spark, in.resolve("ten x").toString(), v1, out.resolve("tokens mtx"), LOW))
        .hasSize(600)
        .isEqualTo(tokenize(spark, mtx.toString(), v1, tmp.resolve("reference-mtx"), LOW));

    assertThat(
            tokenize(spark, in.resolve("csr zlib.zarr").toString(), V2, out.resolve("tokens zarr")))
        .isNotEmpty()
        .isEqualTo(
            tokenize(
                spark,
                Fixtures.zarr("csr_zlib.zarr").toString(),
                V2,
                tmp.resolve("reference-zarr")));
    // Outputs are the folders named, not ones with "%20" in their names.
    try (Stream<Path> all = Files.walk(tmp)) {
      assertThat(all.map(Path::toString)).noneMatch(p -> p.contains("%20"));
    }
  }

  /** Few of the Matrix Market fixture's genes are V1's; its own tests lower the match the same. */
  private static final String LOW = "--min-gene-match=0.1";

  /** {@code cellspark tokenize} through the CLI; the written tokens by cell ID. */
  private static Map<String, List<Integer>> tokenize(
      SparkSession spark, String input, String vocabulary, Path output, String... options) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "tokenize",
                "--input",
                input,
                "--vocabulary",
                vocabulary,
                "--output",
                output.toString()));
    args.addAll(List.of(options));
    CliRun r = CliRun.of(args.toArray(new String[0]));
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return TokenTables.tokensByCell(spark, output.toString());
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
