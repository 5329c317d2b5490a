package org.cellspark.io.tenx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cell Ranger .h5 files through the tokenizer: the same cells as an h5ad fixture give the same
 * tokens (written from it by src/test/python/make_tenx_fixtures.py, with an extra antibody
 * feature), and other HDF5 files are refused with what they are not.
 */
@ExtendWith(SharedSpark.class)
class TenxTokenizeTest {
  @TempDir Path tmp;

  private static Path tenx(String name) {
    return Fixtures.repositoryRoot()
        .resolve("spark-jobs/src/test/resources/fixtures/tenx")
        .resolve(name);
  }

  private TokenizeResult tokenize(SparkSession spark, String input, String out) {
    return TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(input)
            .vocabulary("builtin:geneformer-v1")
            .minGeneMatch(0.1)
            .output(tmp.resolve(out).toString())
            .build());
  }

  @Test
  void sameCellsAsTheH5adGiveTheSameTokens(SparkSession spark) {
    TokenizeResult h5ad =
        tokenize(spark, Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad");
    TokenizeResult tenx = tokenize(spark, tenx("classify_10x.h5").toString(), "from-h5");
    assertThat(tenx.cellsWritten()).isEqualTo(h5ad.cellsWritten()).isEqualTo(600);
    // The antibody feature is left out, so n_counts is the genes' total, as the h5ad's.
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), tenx.output());
    assertThat(tenx.summary().toString())
        .contains("Cell Ranger HDF5, 3,001 features x 600 cells")
        .contains("1 features of other types left out");
  }

  @Test
  void otherHdf5FilesAreRefused(SparkSession spark) {
    assertThatThrownBy(() -> tokenize(spark, tenx("not_10x.h5").toString(), "a"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is HDF5 but not AnnData")
        .hasMessageContaining("nor a Cell Ranger matrix")
        .hasMessageContaining("top level holds: counts");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input(tenx("classify_10x.h5").toString())
                        .vocabulary("builtin:geneformer-v1")
                        .minGeneMatch(0.1)
                        .attribute("cell_type")
                        .output(tmp.resolve("b").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds no cell annotations");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();
  }
}
