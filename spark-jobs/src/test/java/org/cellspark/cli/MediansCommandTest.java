package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class MediansCommandTest {
  @TempDir Path tmp;

  @Test
  void buildThenTokenizeWithIt() {
    String vocab = tmp.resolve("vocab").toString();
    CliRun m =
        CliRun.of(
            "medians",
            "--input",
            Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
            "--output",
            vocab,
            "--special-tokens",
            "--min-cells",
            "2");
    assertThat(m.exitCode()).as(m.err()).isZero();
    assertThat(m.out())
        .containsPattern("vocabulary of \\d+ genes \\(of 36 detected\\) from \\d+ cells");
    CliRun t =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
            "--vocabulary",
            vocab,
            "--output",
            tmp.resolve("tokens").toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(t.out()).contains("tokenized 38 of 40 cells");
    assertThat(
            org.apache.spark.sql.SparkSession.active()
                .read()
                .parquet(tmp.resolve("tokens").toString())
                .selectExpr("element_at(input_ids, 1)")
                .distinct()
                .collectAsList())
        .singleElement()
        .satisfies(r -> assertThat(r.getInt(0)).isEqualTo(2)); // every cell starts with <cls>
  }

  @Test
  void badRequestsAreUsageErrors() {
    CliRun missing =
        CliRun.of(
            "medians",
            "--input",
            tmp.resolve("none.h5ad").toString(),
            "--output",
            tmp.resolve("v").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("none.h5ad");
    CliRun zero =
        CliRun.of(
            "medians",
            "--input",
            "x.h5ad",
            "--output",
            tmp.resolve("v").toString(),
            "--min-cells",
            "0");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("--min-cells must be at least 1");
    assertThat(tmp.resolve("v")).doesNotExist();
  }

  /** As tokenize: a column asked for where the format keeps its IDs in one place is refused. */
  @Test
  void aGeneIdColumnForAFormatWithFixedIdsIsRefused() {
    String cellRanger = Fixtures.field("cellranger2.h5").toString();
    CliRun given =
        CliRun.of(
            "medians",
            "--input",
            cellRanger,
            "--gene-id-column",
            "gene_ids",
            "--output",
            tmp.resolve("v").toString());
    assertThat(given.exitCode()).isEqualTo(2);
    assertThat(given.err())
        .contains("cellranger2.h5 is a Cell Ranger matrix (.h5), whose gene IDs are")
        .contains("--gene-id-column (here 'gene_ids') is for .h5ad, .zarr and loom inputs only");
    assertThat(tmp.resolve("v")).doesNotExist();
    CliRun left =
        CliRun.of("medians", "--input", cellRanger, "--output", tmp.resolve("v").toString());
    assertThat(left.exitCode()).as(left.err()).isZero();
    assertThat(left.out()).containsPattern("vocabulary of \\d+ genes");
  }
}
