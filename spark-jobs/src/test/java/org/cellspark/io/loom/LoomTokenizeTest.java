package org.cellspark.io.loom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
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
 * Loom files through the tokenizer: the same cells as the h5ad fixture (written from it by
 * src/test/python/make_loom_fixtures.py with loompy) give the same tokens, n_counts and
 * annotations; loompy's Accession and filter_pass conventions work; a file without gene IDs is
 * refused.
 */
@ExtendWith(SharedSpark.class)
class LoomTokenizeTest {
  @TempDir Path tmp;

  private static Path loom(String name) {
    return Fixtures.repositoryRoot()
        .resolve("spark-jobs/src/test/resources/fixtures/loom")
        .resolve(name);
  }

  private TokenizeOptions.Builder options(String input, String out) {
    return TokenizeOptions.builder()
        .input(input)
        .vocabulary("builtin:geneformer-v1")
        .minGeneMatch(0.1)
        .output(tmp.resolve(out).toString());
  }

  private static Map<String, Row> byCell(SparkSession spark, String folder, String... columns) {
    return spark.read().parquet(folder).selectExpr(columns).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
  }

  @Test
  void sameCellsAsTheH5adGiveTheSameTokensAndAnnotations(SparkSession spark) {
    TokenizeResult h5ad =
        TokenizeJob.run(
            spark,
            options(Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad")
                .attribute("cell_type")
                .attribute("donor")
                .build());
    TokenizeResult loom =
        TokenizeJob.run(
            spark,
            options(loom("classify_atlas.loom").toString(), "from-loom")
                .attribute("cell_type")
                .attribute("donor")
                .build());
    assertThat(loom.cellsWritten()).isEqualTo(h5ad.cellsWritten()).isEqualTo(600);
    assertThat(loom.nCountsComputed()).as("n_counts comes from col_attrs").isZero();
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), loom.output());
    assertThat(byCell(spark, loom.output(), "cell_id", "cell_type", "donor"))
        .isEqualTo(byCell(spark, h5ad.output(), "cell_id", "cell_type", "donor"));
    assertThat(loom.summary().toString())
        .contains("loom, 3,000 genes x 600 cells, float, chunks [64, 64]");
  }

  @Test
  void accessionIdsFilterPassAndCellsNamedByColumn(SparkSession spark) {
    TokenizeResult h5ad =
        TokenizeJob.run(
            spark, options(Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad").build());
    TokenizeResult loom =
        TokenizeJob.run(
            spark, options(loom("accession_filter.loom").toString(), "from-loom").build());
    // 100 cells, filter_pass 1 on even columns only; no CellID: cells are named by column.
    assertThat(loom.cellsRead()).isEqualTo(100);
    assertThat(loom.droppedFilterPass()).isEqualTo(50);
    assertThat(loom.nCountsComputed()).isEqualTo(50);
    Map<String, Row> expected = byCell(spark, h5ad.output(), "cell_id", "input_ids", "n_counts");
    Map<String, Row> actual = byCell(spark, loom.output(), "cell_id", "input_ids", "n_counts");
    assertThat(actual.keySet()).hasSize(50).allMatch(id -> Integer.parseInt(id) % 2 == 0);
    actual.forEach(
        (column, row) -> {
          // the h5ad's cells are named cell0000...; column k of the loom is the h5ad's row k
          Row e = expected.get(String.format("cell%04d", Integer.parseInt(column)));
          assertThat(e).as("h5ad cell for loom column %s", column).isNotNull();
          assertThat(row.<Integer>getList(1)).as(column).isEqualTo(e.<Integer>getList(1));
          assertThat(row.getDouble(2))
              .as("computed n_counts of %s", column)
              .isCloseTo(e.getDouble(2), org.assertj.core.data.Offset.offset(1e-3));
        });
  }

  @Test
  void countsFromALayer(SparkSession spark) {
    // Layer "reversed" holds column k's counts in column 99 - k; filter_pass keeps the even
    // columns.
    TokenizeResult layer =
        TokenizeJob.run(
            spark,
            options(loom("accession_filter.loom").toString(), "layer")
                .counts("layers/reversed")
                .build());
    Map<String, Row> fromLayer = byCell(spark, layer.output(), "cell_id", "input_ids");
    assertThat(fromLayer).hasSize(50);
    TokenizeResult mainAll =
        TokenizeJob.run(
            spark,
            options(loom("accession_filter.loom").toString(), "main-all")
                .useFilterPass(false)
                .build());
    Map<String, Row> all = byCell(spark, mainAll.output(), "cell_id", "input_ids");
    fromLayer.forEach(
        (column, row) ->
            assertThat(row.<Integer>getList(1))
                .as("layer column %s", column)
                .isEqualTo(
                    all.get(Integer.toString(99 - Integer.parseInt(column))).<Integer>getList(1)));
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    options(loom("classify_atlas.loom").toString(), "x")
                        .counts("layers/spliced")
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "has no 2-D /layers/spliced dataset for --counts layers/spliced (layers: none)");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    options(loom("classify_atlas.loom").toString(), "y").counts("raw").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is a loom file, which has no raw counts");
  }

  @Test
  void loomAndH5adInOneRunShareTheAttributeColumn(SparkSession spark) {
    TokenizeResult both =
        TokenizeJob.run(
            spark,
            options(
                    Fixtures.atlas("classify_atlas.h5ad").toString()
                        + ","
                        + loom("accession_filter.loom"),
                    "both")
                .attribute("cell_type")
                .build());
    assertThat(both.cellsWritten()).isEqualTo(650);
    Map<String, Row> rows = byCell(spark, both.output(), "cell_id", "cell_type");
    assertThat(rows.get("accession_filter:0").getString(1))
        .isEqualTo(rows.get("classify_atlas:cell0000").getString(1));
  }

  @Test
  void aFolderOfMixedFormatsReadsEachByItsExtension(SparkSession spark) throws java.io.IOException {
    Path folder = java.nio.file.Files.createDirectories(tmp.resolve("atlases"));
    java.nio.file.Files.copy(Fixtures.atlas("classify_atlas.h5ad"), folder.resolve("a.h5ad"));
    java.nio.file.Files.copy(loom("classify_atlas.loom"), folder.resolve("b.loom"));
    java.nio.file.Files.copy(
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/tenx/classify_10x.h5"),
        folder.resolve("c.h5"));
    java.nio.file.Files.writeString(folder.resolve("notes.txt"), "not an atlas");
    TokenizeResult all = TokenizeJob.run(spark, options(folder.toString(), "all").build());
    assertThat(all.cellsWritten()).isEqualTo(1800);
    assertThat(
            spark
                .read()
                .parquet(all.output())
                .selectExpr("split(cell_id, ':')[0]")
                .distinct()
                .collectAsList()
                .stream()
                .map(r -> r.getString(0))
                .sorted()
                .toList())
        .containsExactly("a", "b", "c");
  }

  @Test
  void aLoomWithoutGeneIdsIsRefused(SparkSession spark) {
    assertThatThrownBy(
            () -> TokenizeJob.run(spark, options(loom("no_gene_ids.loom").toString(), "a").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no_gene_ids.loom (loom) has no gene IDs")
        .hasMessageContaining("row_attrs holds Gene")
        .hasMessageContaining("'ensembl_id' nor 'Accession'");
    assertThat(tmp.resolve("a")).doesNotExist();
  }
}
