package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.PathGlobs;
import org.cellspark.testing.Expected;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.cellspark.testing.TwoStateEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files and folders whose names hold glob characters ({@code run[1].h5ad}, {@code results{v2}}),
 * through the CLI. Hadoop's globbing, which Spark's readers apply to every path, read them as
 * patterns: {@code run[1].h5ad} was reported missing, or read as {@code run1.h5ad} when that
 * existed, and a job writing into such a folder failed on its own intermediate files. A name that
 * exists is now that file or folder; one that does not is a pattern, as before. (Perturb and stats
 * into such a folder: AirflowPipelineTest, whose workdir is {@code my runs {2026}}.)
 */
@ExtendWith(SharedSpark.class)
class PathsWithGlobCharactersTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();

  @TempDir Path tmp;

  @Test
  void aNameThatExistsIsThatFileAndOtherNamesArePatterns(SparkSession spark) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data [1]"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), data.resolve("run[1].h5ad"));
    // What the pattern run[1].h5ad matches: read instead of run[1].h5ad, it fails the run.
    Files.writeString(data.resolve("run1.h5ad"), "not an HDF5 file");

    Path tokens = tmp.resolve("tokens [1]");
    CliRun named = tokenize(data.resolve("run[1].h5ad").toString(), tokens);
    assertThat(named.exitCode()).as(named.err()).isZero();
    assertThat(tokensByCell(spark, tokens)).isEqualTo(new TreeMap<>(Expected.tokens("v2")));

    // A pattern is still a pattern, and the files it finds are read whatever their names. Spelled
    // as a file: URI, as URIs to local files are (a pattern so spelled once gave every cell the ID
    // null: Hadoop's globbing and a lookup name the same file file:///... and file:/...).
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), other.resolve("a{b}.h5ad"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), other.resolve("c.h5ad"));
    CliRun pattern = tokenize(other.toUri() + "*.h5ad", tmp.resolve("both"));
    assertThat(pattern.exitCode()).as(pattern.err()).isZero();
    assertThat(tokensByCell(spark, tmp.resolve("both")))
        .hasSize(2 * Expected.tokens("v2").size())
        .containsEntry("a{b}:hand1", Expected.tokens("v2").get("hand1"))
        .containsEntry("c:hand1", Expected.tokens("v2").get("hand1"));

    CliRun none = tokenize(other.resolve("run[2-9].h5ad").toString(), tmp.resolve("none"));
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err())
        .contains(
            "Input "
                + other.resolve("run[2-9].h5ad")
                + " does not exist (no file or folder has"
                + " that name, and as a pattern it matches nothing)");

    // In a pattern, a folder's own glob characters are a pattern too: the refusal says how to
    // write them, and what it says works.
    Path more = Files.createDirectories(tmp.resolve("more [2]"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), more.resolve("x.h5ad"));
    CliRun unescaped = tokenize(more + "/*.h5ad", tmp.resolve("unescaped"));
    assertThat(unescaped.exitCode()).isEqualTo(2);
    String escaped = tmp + "/more \\[2\\]/*.h5ad";
    assertThat(unescaped.err())
        .contains(
            "the folder "
                + more
                + " has glob characters in its name: in a pattern, put \\ before"
                + " each of them ("
                + escaped
                + ")");
    CliRun asSaid = tokenize(escaped, tmp.resolve("escaped"));
    assertThat(asSaid.exitCode()).as(asSaid.err()).isZero();
    assertThat(tokensByCell(spark, tmp.resolve("escaped")))
        .isEqualTo(new TreeMap<>(Expected.tokens("v2")));

    // Embed reads the tokens folder and, for the per-label means, its own staged cells, both with
    // "[1]" or "{v2}" in their paths.
    Path embeddings = tmp.resolve("embeddings {v2}");
    CliRun embed =
        CliRun.of(
            "embed",
            "--input",
            tokens.toString(),
            "--model",
            Fixtures.vocab("models/tiny-v2").toString(),
            "--output",
            embeddings.toString(),
            "--summary",
            "mean",
            "--by",
            "cell_type");
    assertThat(embed.exitCode()).as(embed.err()).isZero();
    assertThat(count(spark, embeddings.resolve("cells"))).isEqualTo(Expected.tokens("v2").size());
    assertThat(count(spark, embeddings.resolve("state_embeddings"))).isPositive();
  }

  @Test
  void aClassifierIsTrainedAndAppliedInFoldersWithGlobCharacters(SparkSession spark) {
    String embeddings = TwoStateEmbeddings.write(spark, tmp.resolve("emb[2]"));
    String model = tmp.resolve("classifier {rf}").toString();
    CliRun train =
        CliRun.of(
            "classify",
            "--embeddings",
            embeddings,
            "--label",
            "state",
            "--group",
            "donor",
            "--classifier",
            "random-forest",
            "--split",
            "0.5,0.25,0.25",
            "--output",
            model);
    assertThat(train.exitCode()).as(train.err()).isZero();
    Path predictions = tmp.resolve("predictions[3]");
    CliRun apply =
        CliRun.of(
            "classify",
            "apply",
            "--model",
            model,
            "--embeddings",
            embeddings,
            "--output",
            predictions.toString());
    assertThat(apply.exitCode()).as(apply.err()).isZero();
    assertThat(
            spark
                .read()
                .parquet(PathGlobs.literal(predictions.resolve("predictions").toString()))
                .filter("predicted = state")
                .count())
        .isEqualTo(160);
  }

  private static CliRun tokenize(String input, Path output) {
    return CliRun.of(
        "tokenize",
        "--input",
        input,
        "--vocabulary",
        V2,
        "--attribute",
        "cell_type",
        "--output",
        output.toString());
  }

  private static Map<String, List<Integer>> tokensByCell(SparkSession spark, Path table) {
    return TokenTables.tokensByCell(spark, PathGlobs.literal(table.toString()));
  }

  private static long count(SparkSession spark, Path table) {
    return spark.read().parquet(PathGlobs.literal(table.toString())).count();
  }
}
