package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.jobs.medians.MediansJob;
import org.cellspark.jobs.medians.MediansOptions;
import org.cellspark.jobs.medians.MediansResult;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files as users bring them, written the way the original tools write them
 * (src/test/python/make_field_fixtures.py): each holds the atlas fixtures' 40 cells, and its
 * tokens must equal those an independent restatement of Geneformer's tokenizer gives
 * (fixtures/field/expected.json).
 */
@ExtendWith(SharedSpark.class)
class FieldFilesTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();
  private static JsonNode expected;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws IOException {
    expected = new ObjectMapper().readTree(Fixtures.field("expected.json").toFile());
  }

  private TokenizeOptions.Builder options(String fixture, String out) {
    return TokenizeOptions.builder().input(Fixtures.field(fixture).toString()).vocabulary(V2).output(tmp.resolve(out).toString());
  }

  /** The fixture's expected tokens per cell. */
  private static Map<String, List<Integer>> expectedTokens(String fixture) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.get(fixture).get("tokens").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> cell = it.next();
      List<Integer> ids = new ArrayList<>();
      cell.getValue().forEach(v -> ids.add(v.asInt()));
      out.put(cell.getKey(), ids);
    }
    return out;
  }

  private static Map<String, List<Integer>> tokens(SparkSession spark, TokenizeResult r) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Row row : spark.read().parquet(r.output()).collectAsList()) {
      out.put(row.getString(row.fieldIndex("cell_id")), row.getList(row.fieldIndex("input_ids")));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // An obs that gives the job no column to read (CELLxGENE, scvelo): n_counts from the counts.

  @Test
  void cellxgeneFileTokenizesFromRawWithoutAnyAnnotation(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("cellxgene.h5ad", "plain").counts("raw").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("cellxgene.h5ad"));
    assertThat(r.nCountsComputed()).isEqualTo(40);
  }

  @Test
  void cellxgeneFileCarriesItsSchemaColumns(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("cellxgene.h5ad", "annotated").counts("raw")
        .attribute("cell_type").attribute("donor_id").attribute("is_primary_data").build());
    Map<String, String> types = new LinkedHashMap<>();
    for (Row row : spark.read().parquet(r.output()).collectAsList()) {
      types.put(row.getString(row.fieldIndex("cell_id")), row.getString(row.fieldIndex("cell_type")));
      assertThat(row.getBoolean(row.fieldIndex("is_primary_data"))).isTrue();
    }
    JsonNode e = expected.get("cellxgene.h5ad").get("cell_type");
    assertThat(types).isNotEmpty().allSatisfy((cell, type) -> assertThat(type).as(cell).isEqualTo(e.get(cell).asText()));
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("cellxgene.h5ad"));
  }

  @Test
  void obsWithoutAnyColumn(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("no_obs_columns.h5ad", "out").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("no_obs_columns.h5ad"));
  }

  @Test
  void theDataSourceWithoutObsColumnsHasNoObsStruct(SparkSession spark) {
    for (String fixture : List.of("cellxgene.h5ad", "no_obs_columns.h5ad")) {
      Dataset<Row> none = spark.read().format("h5ad").option("obsColumns", "").load(Fixtures.field(fixture).toString());
      assertThat(none.columns()).as(fixture).doesNotContain(CellCountsSchema.OBS).contains(CellCountsSchema.CELL_ID);
      assertThat(none.count()).isEqualTo(40);
      assertThat(none.select("counts").where("size(counts) > 0").count()).as("every cell but zero1").isEqualTo(39);
    }
    // All columns (the default) of a file that has none: no obs column either.
    assertThat(spark.read().format("h5ad").load(Fixtures.field("no_obs_columns.h5ad").toString()).columns())
        .doesNotContain(CellCountsSchema.OBS);
  }

  @Test
  void mediansOfACellxgeneFile(SparkSession spark) {
    MediansResult r = MediansJob.run(spark, new MediansOptions(List.of(Fixtures.field("cellxgene.h5ad").toString()),
        tmp.resolve("vocab").toString(), null, 1, false, false, "raw", "ensembl_id", null, "n_counts", "filter_pass", false));
    Vocabulary v = VocabularyLoader.load(Path.of(java.net.URI.create(r.output())));
    JsonNode e = expected.get("cellxgene.h5ad").get("medians");
    assertThat(r.genesWritten()).isEqualTo(e.size());
    e.fields().forEachRemaining(g -> assertThat(v.median(g.getKey())).as(g.getKey())
        .isCloseTo(g.getValue().asDouble(), within(1e-9 * g.getValue().asDouble())));
  }
}
