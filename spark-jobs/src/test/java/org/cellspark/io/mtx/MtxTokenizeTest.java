package org.cellspark.io.mtx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Matrix Market folders through the tokenizer: the same cells as an h5ad fixture give the same
 * tokens (fixtures written from it by src/test/python/make_mtx_fixtures.py), and broken folders are
 * refused with what is wrong.
 */
@ExtendWith(SharedSpark.class)
class MtxTokenizeTest {
  @TempDir Path tmp;

  private static Path mtx(String name) {
    return Fixtures.repositoryRoot()
        .resolve("spark-jobs/src/test/resources/fixtures/mtx")
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

  /** The broken folders' two genes are not in the vocabulary: no coverage check for them. */
  private void tokenizeBroken(SparkSession spark, String name, String out) {
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(mtx(name).toString())
            .vocabulary("builtin:geneformer-v1")
            .minGeneMatch(0)
            .output(tmp.resolve(out).toString())
            .build());
  }

  @Test
  void sameCellsAsTheH5adGiveTheSameTokens(SparkSession spark) {
    TokenizeResult h5ad =
        tokenize(spark, Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad");
    TokenizeResult tenx = tokenize(spark, mtx("classify_10x").toString(), "from-mtx");
    assertThat(tenx.cellsWritten()).isEqualTo(h5ad.cellsWritten()).isEqualTo(600);
    // The antibody feature is left out, so n_counts is the genes' total, as the h5ad's.
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), tenx.output());
    assertThat(tenx.summary().toString())
        .contains("Matrix Market, 3,001 genes x 600 cells")
        .contains("1 features of other types left out");
  }

  /** A copy of the fixture folder with the matrix's entry lines rearranged by {@code arrange}. */
  private Path rewritten(String name, java.util.function.UnaryOperator<List<String>> arrange)
      throws java.io.IOException {
    Path src = mtx("classify_10x");
    Path dst = java.nio.file.Files.createDirectories(tmp.resolve(name));
    for (String f : List.of("features.tsv.gz", "barcodes.tsv.gz")) {
      java.nio.file.Files.copy(src.resolve(f), dst.resolve(f));
    }
    List<String> lines;
    try (var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                new java.util.zip.GZIPInputStream(
                    java.nio.file.Files.newInputStream(src.resolve("matrix.mtx.gz")))))) {
      lines = in.lines().toList();
    }
    List<String> body = arrange.apply(new java.util.ArrayList<>(lines.subList(3, lines.size())));
    String header = lines.get(2);
    if (body.size() != lines.size() - 3) { // keep the header's entry count true
      String[] h = header.split(" ");
      header = h[0] + " " + h[1] + " " + body.size();
    }
    java.nio.file.Files.write(
        dst.resolve("matrix.mtx"),
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of(lines.get(0), lines.get(1), header), body.stream())
            .toList());
    return dst;
  }

  /**
   * The cell IDs of a token table in its files' order (part-00000 first), as a reader of the folder
   * meets them.
   */
  private static List<String> cellOrder(SparkSession spark, String table)
      throws java.io.IOException {
    List<String> out = new java.util.ArrayList<>();
    try (var files = java.nio.file.Files.list(Path.of(java.net.URI.create(table)))) {
      for (Path part :
          files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList()) {
        spark
            .read()
            .parquet(part.toString())
            .select("cell_id")
            .collectAsList()
            .forEach(r -> out.add(r.getString(0)));
      }
    }
    return out;
  }

  @Test
  void cellsComeInBarcodeOrder(SparkSession spark) throws java.io.IOException {
    List<String> barcodes;
    try (var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                new java.util.zip.GZIPInputStream(
                    java.nio.file.Files.newInputStream(
                        mtx("classify_10x").resolve("barcodes.tsv.gz")))))) {
      barcodes = in.lines().toList();
    }
    Path shuffled =
        rewritten(
            "shuffled-order",
            body -> {
              java.util.Collections.shuffle(body, new java.util.Random(5));
              return body;
            });
    for (Path folder : List.of(mtx("classify_10x"), shuffled)) {
      TokenizeResult r =
          TokenizeJob.run(
              spark,
              TokenizeOptions.builder()
                  .input(folder.toString())
                  .vocabulary("builtin:geneformer-v1")
                  .minGeneMatch(0.1)
                  .partitions(4)
                  .output(tmp.resolve("order-" + folder.getFileName()).toString())
                  .build());
      List<String> order = cellOrder(spark, r.output());
      assertThat(order)
          .as(folder.toString())
          .hasSize(600)
          .isEqualTo(barcodes.stream().filter(order::contains).toList());
    }
  }

  @Test
  void entriesInAnyOrderGiveTheSameTokens(SparkSession spark) throws java.io.IOException {
    // scipy's mmwrite of a CSR genes x cells matrix writes gene by gene: cells' entries scattered.
    Path shuffled =
        rewritten(
            "shuffled",
            body -> {
              java.util.Collections.shuffle(body, new java.util.Random(11));
              return body;
            });
    TokenizeResult h5ad =
        tokenize(spark, Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad");
    TokenizeResult fromShuffled = tokenize(spark, shuffled.toString(), "from-shuffled");
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), fromShuffled.output());
    // Uncompressed files are cut into byte ranges read by several tasks (at most one per 200 KB
    // here: seven of the 1.3 MB text, their edges inside cells and inside lines).
    Path sorted = rewritten("sorted", body -> body);
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    spark.conf().set(CellsparkSettings.MTX_SPLIT_BYTES.name(), 200_000);
    try {
      long ranges = (java.nio.file.Files.size(sorted.resolve("matrix.mtx")) + 199_999) / 200_000;
      assertThat(ranges).isGreaterThan(4);
      assertThat(
              MtxCells.splits(
                  MtxFolder.open(sorted.toString(), "sorted", conf), conf, 200_000, 100))
          .hasSize((int) ranges);
      TokenTables.assertSameTokensAndCounts(
          spark, h5ad.output(), tokenize(spark, sorted.toString(), "from-ranges").output());
      TokenTables.assertSameTokensAndCounts(
          spark, h5ad.output(), tokenize(spark, shuffled.toString(), "shuffled-ranges").output());
    } finally {
      spark.conf().unset(CellsparkSettings.MTX_SPLIT_BYTES.name());
    }
    Path repeated =
        rewritten(
            "repeated",
            body -> {
              body.add(body.get(0));
              return body;
            });
    assertThatThrownBy(() -> tokenize(spark, repeated.toString(), "e"))
        .isInstanceOf(Exception.class)
        .satisfies(
            e -> assertThat(UserException.findIn(e).getMessage()).contains("gene row 3 twice"));
    assertThat(tmp.resolve("e")).doesNotExist();
  }

  @Test
  void brokenFoldersAreRefusedWithWhatIsWrong(SparkSession spark) {
    assertThatThrownBy(() -> tokenizeBroken(spark, "bad_dims", "a"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "says 2 genes x 3 cells, but features.tsv has 2 lines and barcodes.tsv has 2");
    assertThatThrownBy(() -> tokenizeBroken(spark, "truncated", "b"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("matrix.mtx.gz ends early");
    assertThatThrownBy(() -> tokenizeBroken(spark, "out_of_range", "c"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("line 6: entry (5, 2) is outside the 2 x 3 matrix");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input(mtx("classify_10x").toString())
                        .vocabulary("builtin:geneformer-v1")
                        .minGeneMatch(0.1)
                        .attribute("cell_type")
                        .output(tmp.resolve("d").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds no cell annotations");
    for (String out : List.of("a", "b", "c", "d")) {
      assertThat(tmp.resolve(out)).doesNotExist();
    }
  }
}
