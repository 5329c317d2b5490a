package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options that lift a refusal (the refusals themselves are docs/errors.md's entries, run by
 * ErrorCatalogueTest): --allow-non-integer takes normalised counts, --overwrite replaces an earlier
 * output once the new one is complete.
 */
@ExtendWith(SharedSpark.class)
class TokenizeOverridesTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();

  @TempDir Path tmp;

  private CliRun tokenize(String input, String... extra) {
    String[] args = {
      "tokenize", "--input", input, "--output", tmp.resolve("out").toString(), "--vocabulary", V2
    };
    String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    return CliRun.of(all);
  }

  @Test
  void allowNonIntegerTakesNormalisedCounts(SparkSession spark) {
    CliRun refused = tokenize(Fixtures.bad("normalised.h5ad").toString());
    assertThat(refused.exitCode()).isEqualTo(2);
    CliRun allowed = tokenize(Fixtures.bad("normalised.h5ad").toString(), "--allow-non-integer");
    assertThat(allowed.exitCode()).as(allowed.err()).isZero();
    assertThat(allowed.out()).contains("tokenized 37 of 40 cells");
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count()).isEqualTo(37);
  }

  @Test
  void overwriteReplacesAnEarlierOutput() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("old.txt"), "previous run");
    CliRun again = tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--overwrite");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(out.resolve("old.txt")).doesNotExist();
    assertThat(out.resolve("_cellspark.json")).exists();
  }
}
