package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class PerturbCommandTest {
  @TempDir Path tmp;

  @Test
  void screenListedGenesFromAFile(SparkSession spark) throws java.io.IOException {
    String tokens = tmp.resolve("tokens").toString();
    CliRun t =
        CliRun.of(
            "tokenize",
            "--input",
            Fixtures.atlas("csr_int32_lzf.h5ad").toString(),
            "--vocabulary",
            Fixtures.vocab("vocab-v2-small").toString(),
            "--attribute",
            "cell_type",
            "--output",
            tokens);
    assertThat(t.exitCode()).as(t.err()).isZero();
    Path genes =
        Files.writeString(
            tmp.resolve("genes.txt"), "# genes to screen\nSYM01\nENSG00000000009\tsecond\n\n");
    CliRun p = overexpress(tokens, genes, "screen", "--gene-shifts");
    assertThat(p.exitCode()).as(p.err()).isZero();
    assertThat(p.out())
        .contains("perturbed 13 cells: 26 rows")
        .contains("gene shifts:")
        .contains("straggler ratio");
    assertThat(
            spark
                .read()
                .parquet(tmp.resolve("screen/cell_shifts").toString())
                .selectExpr("perturbed_symbols[0]")
                .distinct()
                .count())
        .isEqualTo(2);
    // The same screen in bf16, which CPU executors run: the same rows, cosines within 0.01.
    CliRun bf16 = overexpress(tokens, genes, "screen-bf16", "--precision", "bf16");
    assertThat(bf16.exitCode()).as(bf16.err()).isZero();
    spark
        .read()
        .parquet(tmp.resolve("screen/cell_shifts").toString())
        .createOrReplaceTempView("fp32_shifts");
    spark
        .read()
        .parquet(tmp.resolve("screen-bf16/cell_shifts").toString())
        .createOrReplaceTempView("bf16_shifts");
    org.apache.spark.sql.Row compared =
        spark
            .sql(
                "SELECT count(*), max(abs(a.cosine_similarity - b.cosine_similarity)) FROM"
                    + " fp32_shifts a JOIN bf16_shifts b ON a.cell_id = b.cell_id AND"
                    + " a.perturbed_symbols = b.perturbed_symbols")
            .first();
    assertThat(compared.getLong(0)).isEqualTo(26);
    assertThat(compared.getDouble(1)).isLessThan(0.01);
  }

  /** The listed genes overexpressed in the monocytes, with the tiny V2 model, into tmp/OUT. */
  private CliRun overexpress(String tokens, Path genes, String out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "perturb",
                "--input",
                tokens,
                "--model",
                Fixtures.vocab("models/tiny-v2").toString(),
                "--output",
                tmp.resolve(out).toString(),
                "--perturbation",
                "overexpress",
                "--genes",
                genes.toString(),
                "--filter",
                "cell_type=monocyte"));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(new String[0]));
  }

  @Test
  void badOptionsAreUsageErrors() {
    CliRun run =
        CliRun.of(
            "perturb",
            "--input",
            "x",
            "--model",
            "m",
            "--output",
            tmp.resolve("o").toString(),
            "--perturbation",
            "inhibit",
            "--rank-shift",
            "5",
            "--group",
            "--states",
            "cell_type:start=a,goal=b");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .contains("--rank-shift must be 1, 2 or 3")
        .contains("--group needs a list of genes")
        .contains("--states and --state-embeddings go together");
    CliRun type =
        CliRun.of(
            "perturb",
            "--input",
            "x",
            "--model",
            "m",
            "--output",
            "o",
            "--perturbation",
            "knockout");
    assertThat(type.exitCode()).isEqualTo(2);
    assertThat(type.err()).contains("knockout");
    CliRun missing =
        CliRun.of(
            "perturb",
            "--input",
            tmp.resolve("nope").toString(),
            "--model",
            "m",
            "--output",
            tmp.resolve("o2").toString(),
            "--perturbation",
            "delete");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("does not exist");
    CliRun help = CliRun.of("perturb", "--help");
    assertThat(help.out())
        .contains("--anchor-gene")
        .contains("--export-pickle")
        .contains("[perturb_type]")
        .contains("Default: 42");
  }
}
