package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --gene-id-type symbol}: an atlas keyed by gene symbols
 * (src/test/python/make_symbol_fixtures.py) holds next to each symbol the ID its symbol must map
 * to, so tokenizing by symbol and by ID must agree cell for cell; the match counts come from the
 * same script.
 */
@ExtendWith(SharedSpark.class)
class GeneSymbolsTest {
  @TempDir Path tmp;

  private static TokenizeOptions.Builder options(String out, Path tmp) {
    return TokenizeOptions.builder()
        .input(Fixtures.atlas("classify_symbols.h5ad").toString())
        .vocabulary("builtin:geneformer-v1")
        .minGeneMatch(0.05)
        .output(tmp.resolve(out).toString());
  }

  @Test
  void symbolsMapToTheSameTokensAsTheirIds(SparkSession spark) throws IOException {
    TokenizeResult byId = TokenizeJob.run(spark, options("by-id", tmp).build());
    TokenizeResult bySymbol =
        TokenizeJob.run(spark, options("by-symbol", tmp).geneIdType(GeneIdType.SYMBOL).build());
    assertThat(bySymbol.cellsWritten()).isEqualTo(byId.cellsWritten()).isEqualTo(600);
    TokenTables.assertSameTokensAndCounts(spark, byId.output(), bySymbol.output());

    JsonNode expected =
        new ObjectMapper().readTree(Files.readString(Fixtures.atlas("classify_symbols.json")));
    JsonNode input =
        new ObjectMapper()
            .readTree(
                Files.readString(
                    Path.of(java.net.URI.create(bySymbol.output())).resolve("_cellspark.json")))
            .get("inputs")
            .get(0);
    JsonNode symbols = input.get("gene_symbols");
    assertThat(symbols.get("symbols_matched").asInt())
        .isEqualTo(expected.get("symbols_matched").asInt());
    assertThat(symbols.get("symbols_unmatched").asInt())
        .isEqualTo(expected.get("symbols_unmatched").asInt());
    assertThat(symbols.get("symbols_duplicated").asInt()).isEqualTo(1);
    assertThat(symbols.get("duplicated_examples").get(0).asText())
        .isEqualTo(expected.get("duplicated_examples").get(0).asText());
    assertThat(symbols.get("unmatched_examples").toString()).contains("NOSYM_0");
    // The repeated symbol's two columns share one gene, as two columns sharing an ID do.
    assertThat(input.get("input_genes_collapsed").asInt()).isEqualTo(1);
  }

  @Test
  void symbolsNeedAGeneNameDictionaryAndSymbolsOfItsOrganism(SparkSession spark) {
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    options("a", tmp)
                        .vocabulary(Fixtures.vocab("vocab-v1-small").toString())
                        .geneIdType(GeneIdType.SYMBOL)
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--gene-id-type symbol needs the vocabulary's gene name dictionary");
    // Ensembl IDs read as symbols match nothing: the refusal says what was looked for where.
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input(Fixtures.atlas("classify_atlas.h5ad").toString())
                        .vocabulary("builtin:geneformer-v1")
                        .geneIdType(GeneIdType.SYMBOL)
                        .output(tmp.resolve("b").toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("are not in the vocabulary's gene name dictionary (first: ENSG")
        .hasMessageContaining("the gene index holds gene symbols");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();
  }
}
