package org.cellspark.io.longtable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
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
 * Parquet long tables through the tokenizer. The fixture rows (every stored count of the h5ad
 * fixture, shuffled, from src/test/python/make_long_fixtures.py) come as CSV, as Python here has no
 * Parquet writer; Spark's CSV reader turns them into Parquet. The same cells must give the same
 * tokens, n_counts and attributes as the h5ad, with attributes on the rows or in a cell table.
 */
@ExtendWith(SharedSpark.class)
class LongTableTokenizeTest {
  private static final String SCHEMA =
      "cell_id STRING, gene_id STRING, count INT, cell_type STRING, donor STRING, n_counts DOUBLE";

  @TempDir Path tmp;

  private static Path fixture(String name) {
    return Fixtures.repositoryRoot()
        .resolve("spark-jobs/src/test/resources/fixtures/long")
        .resolve(name);
  }

  private Dataset<Row> longRows(SparkSession spark) {
    return spark
        .read()
        .option("header", true)
        .schema(SCHEMA)
        .csv(fixture("classify_long.csv.gz").toString());
  }

  private String parquet(Dataset<Row> rows, String name) {
    String path = tmp.resolve(name).toString();
    rows.repartition(3).write().parquet(path);
    return path;
  }

  private TokenizeOptions.Builder options(String input, String out) {
    return TokenizeOptions.builder()
        .input(input)
        .vocabulary("builtin:geneformer-v1")
        .minGeneMatch(0.05)
        .output(tmp.resolve(out).toString())
        .attribute("cell_type")
        .attribute("donor");
  }

  private static Map<String, Row> attributes(SparkSession spark, String folder) {
    return spark
        .read()
        .parquet(folder)
        .select("cell_id", "cell_type", "donor")
        .collectAsList()
        .stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
  }

  @Test
  void sameCellsAsTheH5adWithAttributesOnTheRowsOrInACellTable(SparkSession spark) {
    TokenizeResult h5ad =
        TokenizeJob.run(
            spark, options(Fixtures.atlas("classify_atlas.h5ad").toString(), "from-h5ad").build());
    String table = parquet(longRows(spark), "long");
    TokenizeResult onRows = TokenizeJob.run(spark, options(table, "on-rows").build());
    assertThat(onRows.cellsWritten()).isEqualTo(600);
    assertThat(onRows.nCountsComputed()).isZero();
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), onRows.output());
    assertThat(attributes(spark, onRows.output())).isEqualTo(attributes(spark, h5ad.output()));
    assertThat(onRows.summary().toString())
        .contains("Parquet long table, 130,029 rows, 2,249 genes");

    String countsOnly =
        parquet(longRows(spark).select("cell_id", "gene_id", "count"), "counts-only");
    String cells =
        parquet(
            spark
                .read()
                .option("header", true)
                .schema("cell_id STRING, cell_type STRING, donor STRING, n_counts DOUBLE")
                .csv(fixture("classify_cells.csv.gz").toString()),
            "cells");
    TokenizeResult withTable =
        TokenizeJob.run(spark, options(countsOnly, "with-table").cellTable(cells).build());
    TokenTables.assertSameTokensAndCounts(spark, h5ad.output(), withTable.output());
    assertThat(attributes(spark, withTable.output())).isEqualTo(attributes(spark, h5ad.output()));
  }

  @Test
  void repeatedRowsAndAttributesThatVaryWithinACellAreRefused(SparkSession spark) {
    Dataset<Row> rows = longRows(spark);
    String repeated = parquet(rows.union(rows.limit(1)), "repeated");
    assertThatThrownBy(() -> TokenizeJob.run(spark, options(repeated, "a").build()))
        .isInstanceOf(Exception.class)
        .satisfies(
            e ->
                assertThat(UserException.findIn(e).getMessage())
                    .contains("repeated")
                    .contains("on more than one row")
                    .contains("one row per cell and gene"));
    Row first = rows.first();
    String varying =
        parquet(
            rows.withColumn(
                "donor",
                when(
                        col("cell_id")
                            .equalTo(first.getString(0))
                            .and(col("gene_id").equalTo(first.getString(1))),
                        lit("elsewhere"))
                    .otherwise(col("donor"))),
            "varying");
    assertThatThrownBy(() -> TokenizeJob.run(spark, options(varying, "b").build()))
        .isInstanceOf(Exception.class)
        .satisfies(
            e ->
                assertThat(UserException.findIn(e).getMessage())
                    .contains(
                        "column 'donor' is not one value per cell: cell '"
                            + first.getString(0)
                            + "'")
                    .contains("elsewhere"));
    String noGene = parquet(rows.withColumnRenamed("gene_id", "gene"), "no-gene");
    assertThatThrownBy(() -> TokenizeJob.run(spark, options(noGene, "c").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "has no column 'gene_id'; a long table needs cell_id, gene_id and count (it has:"
                + " cell_id, gene,");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();
    assertThat(tmp.resolve("c")).doesNotExist();
  }
}
