package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class EmbedCommandTest {
  @TempDir Path tmp;

  /**
   * tokenize (with --keep-counts) then embed with state and gene embeddings, all as a user types.
   */
  @Test
  void tokenizeThenEmbedFromTheCommandLine(SparkSession spark) {
    String tokens = tmp.resolve("tokens").toString();
    CliRun t =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.atlas("csc_int64_gzip.h5ad").toString(),
            "--vocabulary",
            Fixtures.vocab("vocab-v2-small").toString(),
            "--attribute",
            "cell_type",
            "--keep-counts",
            "--output",
            tokens);
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(spark.read().parquet(tokens).columns()).contains("counts");
    CliRun e =
        CliRun.of(
            "embed",
            "--input",
            tokens,
            "--model",
            Fixtures.vocab("models/tiny-v2/model.pt").toString(),
            "--output",
            tmp.resolve("emb").toString(),
            "--summary",
            "mean",
            "--by",
            "cell_type",
            "--gene-embeddings");
    assertThat(e.exitCode()).as(e.err()).isZero();
    assertThat(e.out())
        .contains("embedded 37 cells")
        .contains("state embeddings: 4 labels")
        .contains("gene embeddings:");
    assertThat(spark.read().parquet(tmp.resolve("emb/cells").toString()).count()).isEqualTo(37);
    assertThat(spark.read().parquet(tmp.resolve("emb/cells").toString()).columns())
        .as("per-token columns are not carried")
        .contains("cell_type")
        .doesNotContain("counts");
  }

  @Test
  void badOptionsAreUsageErrors() {
    CliRun run =
        CliRun.of(
            "embed",
            "--input",
            "x",
            "--model",
            "m",
            "--output",
            tmp.resolve("o").toString(),
            "--layer",
            "3",
            "--summary",
            "mean");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .contains("--layer must be -1 (second to last) or 0 (last), got 3")
        .contains("--summary needs --by");
    CliRun int8 =
        CliRun.of("embed", "--input", "x", "--model", "m", "--output", "o", "--precision", "int8");
    assertThat(int8.exitCode()).isEqualTo(2);
    assertThat(int8.err()).contains("--precision 'int8' is not one of fp32, fp16, bf16");
    CliRun zero =
        CliRun.of("embed", "--input", "x", "--model", "m", "--output", "o", "--batch-tokens", "0");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err())
        .contains(
            "--batch-tokens must be a positive number of tokens, or auto (the device's budget)");
    CliRun help = CliRun.of("embed", "--help");
    assertThat(help.out())
        .contains("--max-cells")
        .contains("Default: 42")
        .contains("--gene-embeddings")
        .contains("[emb_layer]")
        .contains("--batch-tokens=N|auto");
  }
}
