package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.encode.EncodingSettings.SpecialTokens;
import org.cellspark.error.UserException;
import org.cellspark.testing.Expected;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(SharedSpark.class)
class TokenizeJobTest {
  @TempDir Path tmp;

  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();
  private static final String V1 = Fixtures.vocab("vocab-v1-small").toString();

  private TokenizeOptions.Builder options(String fixture, String vocabulary, String out) {
    return TokenizeOptions.builder()
        .input(Fixtures.atlas(fixture).toString())
        .vocabulary(vocabulary)
        .output(tmp.resolve(out).toString());
  }

  private static Map<String, List<Integer>> tokensById(SparkSession spark, String output) {
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    for (Row r : spark.read().parquet(output).orderBy("cell_id").collectAsList()) {
      List<Integer> ids = r.getList(r.fieldIndex("input_ids"));
      assertThat(r.getInt(r.fieldIndex("length"))).isEqualTo(ids.size());
      out.put(r.getString(r.fieldIndex("cell_id")), ids);
    }
    return out;
  }

  /**
   * Cell "hand1", worked by hand. Counts: G01 10, G02 5, G03 0 (stored zero), alias of G03 4
   * (collapses onto G03 in the V2 mapping), a non-vocabulary gene 1, G05 3, G06 3 (G06 comes first
   * in the input's gene order); n_counts 100. Medians: G01 2, G02 0.5, G03 1, G05 2, G06 2. v = x /
   * 100 * 10000 / median: G02 1000, G01 500, G03 (0 + 4) 400, G06 150, G05 150 (tie: input order).
   * V2 tokens are 3 + k for gene k, <cls> 2, <eos> 3. V1 (no mapping: the alias is dropped, so G03
   * is 0 and dropped) tokens are 1 + k.
   */
  @Test
  void tokenizesTheHandWorkedCell(SparkSession spark) {
    TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V2, "v2").build());
    assertThat(tokensById(spark, tmp.resolve("v2").toString()).get("hand1"))
        .containsExactly(2, 3 + 2, 3 + 1, 3 + 3, 3 + 6, 3 + 5, 3);

    TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V1, "v1").build());
    assertThat(tokensById(spark, tmp.resolve("v1").toString()).get("hand1"))
        .containsExactly(1 + 2, 1 + 1, 1 + 6, 1 + 5);
  }

  /**
   * --keep-counts (upstream's keep_counts): "hand1"'s depth-normalised counts, x / 100 * 10000, in
   * its tokens' order, by hand: G02 500, G01 1000, G03 (0 + 4) 400, G06 300, G05 300, and 0 at
   * <cls> and <eos>; V1 (no alias, so no G03) G02, G01, G06, G05. Every cell's counts line up with
   * its tokens. As a .dataset the column is a sequence of float32 and reads back the same; embed
   * does not carry it into its output.
   */
  @Test
  void keepsTheDepthNormalisedCountsAlignedWithTheTokens(SparkSession spark) throws IOException {
    TokenizeResult v2 =
        TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V2, "v2").keepCounts(true).build());
    Map<String, List<Float>> counts = countsById(spark, v2.output());
    assertThat(counts.get("hand1")).containsExactly(0f, 500f, 1000f, 400f, 300f, 300f, 0f);
    Map<String, List<Integer>> tokens = tokensById(spark, v2.output());
    assertThat(counts.keySet()).isEqualTo(tokens.keySet()).hasSize(37);
    tokens.forEach(
        (cell, ids) -> {
          List<Float> c = counts.get(cell);
          assertThat(c).as(cell).hasSameSizeAs(ids);
          assertThat(c.get(0)).isZero();
          assertThat(c.get(c.size() - 1)).isZero();
          assertThat(c.subList(1, c.size() - 1)).allMatch(x -> x > 0);
        });
    assertThat(
            new ObjectMapper()
                .readTree(
                    java.nio.file.Path.of(java.net.URI.create(v2.output() + "/_cellspark.json"))
                        .toFile())
                .at("/options/keep_counts")
                .asBoolean())
        .isTrue();
    assertThat(spark.read().parquet(v2.output()).schema().apply("counts").dataType())
        .isInstanceOfSatisfying(
            ArrayType.class, a -> assertThat(a.elementType()).isEqualTo(DataTypes.FloatType));

    TokenizeResult v1 =
        TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V1, "v1").keepCounts(true).build());
    assertThat(countsById(spark, v1.output()).get("hand1"))
        .containsExactly(500f, 1000f, 300f, 300f);

    Path dataset = tmp.resolve("v2.dataset");
    TokenizeJob.run(
        spark,
        options("csr_float32_gzip.h5ad", V2, "unused")
            .output(dataset.toString())
            .outputFormat(OutputFormat.DATASET)
            .keepCounts(true)
            .build());
    JsonNode feature =
        new ObjectMapper()
            .readTree(dataset.resolve("dataset_info.json").toFile())
            .get("features")
            .get("counts");
    assertThat(feature.get("_type").asText()).isEqualTo("Sequence");
    assertThat(feature.get("feature").get("dtype").asText()).isEqualTo("float32");
    Map<String, List<Float>> fromDataset = new LinkedHashMap<>();
    for (Row r :
        org.cellspark.jobs.common.TokenTable.read(spark, dataset.toString())
            .cells()
            .collectAsList()) {
      fromDataset.put(r.getString(r.fieldIndex("cell_id")), r.getList(r.fieldIndex("counts")));
    }
    assertThat(fromDataset).isEqualTo(counts);

    String embedded =
        org.cellspark.jobs.embed.EmbedJob.run(
                spark,
                org.cellspark.jobs.embed.EmbedOptions.of(
                    v2.output(),
                    Fixtures.vocab("models/tiny-v2").toString(),
                    tmp.resolve("emb").toString()))
            .output();
    assertThat(spark.read().parquet(embedded + "/cells").columns())
        .contains("cell_id", "n_counts")
        .doesNotContain("counts", "input_ids");
  }

  private static Map<String, List<Float>> countsById(SparkSession spark, String output) {
    Map<String, List<Float>> out = new LinkedHashMap<>();
    for (Row r : spark.read().parquet(output).orderBy("cell_id").collectAsList()) {
      out.put(r.getString(r.fieldIndex("cell_id")), r.getList(r.fieldIndex("counts")));
    }
    return out;
  }

  /** Every cell of every layout equals the independent Python computation. */
  @ParameterizedTest
  @MethodSource("org.cellspark.testing.AtlasLayouts#all")
  void matchesTheReferenceForEveryLayout(String fixture, String counts, SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options(fixture, V2, "out").counts(counts).build());
    assertThat(tokensById(spark, r.output())).isEqualTo(sorted(Expected.tokens("v2")));
    assertThat(r.cellsRead()).isEqualTo(40);
    assertThat(r.cellsWritten()).isEqualTo(37);
    assertThat(r.droppedFilterPass())
        .isEqualTo(Expected.dropped("v2", "dropped_filter_pass").size());
    assertThat(r.droppedEmpty()).isEqualTo(Expected.dropped("v2", "dropped_empty").size());
  }

  /**
   * A file as CELLxGENE Census exports it (make_census_fixture.py): the Ensembl IDs in var's
   * feature_id, the index positions. The refusal names the column that holds them, and with it the
   * tokens are the reference's.
   */
  @Test
  void aCensusExportIsToldWhichColumnHoldsItsGeneIds(SparkSession spark) {
    assertThatThrownBy(
            () -> TokenizeJob.run(spark, options("census_shaped.h5ad", V2, "refused").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "gene ID column 'ensembl_id' not found in 'var' (columns: soma_joinid, feature_id,"
                + " feature_name, feature_length), and its index does not hold Ensembl IDs"
                + " (first: 0, 1, 2). Column 'feature_id' holds Ensembl gene IDs: pass"
                + " --gene-id-column feature_id.");
    TokenizeResult r =
        TokenizeJob.run(
            spark, options("census_shaped.h5ad", V2, "out").geneIdColumn("feature_id").build());
    assertThat(tokensById(spark, r.output())).isEqualTo(sorted(Expected.tokens("v2")));
  }

  @Test
  void v1VocabularyFromTsvMatchesTheReference(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("csc_int64_gzip.h5ad", V1, "out").build());
    assertThat(tokensById(spark, r.output())).isEqualTo(sorted(Expected.tokens("v1")));
  }

  @Test
  void outputIsIdenticalForOneThreeAndEightPartitions(SparkSession spark) {
    for (String fixture : List.of("csr_float32_gzip.h5ad", "csc_int64_gzip.h5ad")) {
      List<Row> one =
          table(
              spark,
              TokenizeJob.run(spark, options(fixture, V2, fixture + "1").partitions(1).build()));
      List<Row> three =
          table(
              spark,
              TokenizeJob.run(spark, options(fixture, V2, fixture + "3").partitions(3).build()));
      List<Row> eight =
          table(
              spark,
              TokenizeJob.run(spark, options(fixture, V2, fixture + "8").partitions(8).build()));
      assertThat(one).hasSize(37);
      assertThat(three).isEqualTo(one);
      assertThat(eight).isEqualTo(one);
    }
  }

  private static List<Row> table(SparkSession spark, TokenizeResult r) {
    return spark.read().parquet(r.output()).orderBy("cell_id").collectAsList();
  }

  @Test
  void computesNCountsWhenTheColumnIsAbsent(SparkSession spark) throws IOException {
    TokenizeResult r = TokenizeJob.run(spark, options("no_n_counts.h5ad", V2, "out").build());
    assertThat(tokensById(spark, r.output()))
        .isEqualTo(sorted(Expected.tokens("v2_computed_n_counts")));
    assertThat(r.nCountsComputed()).isEqualTo(39); // every cell that passed filter_pass
    JsonNode summary = summary(r);
    assertThat(summary.at("/inputs/0/n_counts").asText()).startsWith("computed from counts");
  }

  @Test
  void copiesAttributesAndWritesTheDocumentedSchema(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("csr_float32_gzip.h5ad", V2, "out")
                .attribute("cell_type")
                .attribute("donor=patient")
                .attribute("is_control")
                .attribute("batch")
                .build());
    Dataset<Row> t = spark.read().parquet(r.output());
    assertThat(t.columns())
        .containsExactly(
            "cell_id",
            "input_ids",
            "length",
            "n_counts",
            "source",
            "cell_type",
            "patient",
            "is_control",
            "batch");
    assertThat(((ArrayType) t.schema().apply("input_ids").dataType()).elementType())
        .isEqualTo(DataTypes.IntegerType);
    Row hand = t.where("cell_id = 'hand1'").first();
    JsonNode obs = Expected.cells().get(0).get("obs");
    assertThat(hand.<String>getAs("cell_type")).isEqualTo(obs.get("cell_type").asText());
    assertThat(hand.<String>getAs("patient")).isEqualTo("donor0");
    assertThat(hand.<Boolean>getAs("is_control")).isTrue();
    assertThat(hand.<Double>getAs("n_counts")).isEqualTo(100.0);
    assertThat(hand.<String>getAs("source")).isEqualTo("csr_float32_gzip.h5ad");
    assertThat(t.where("cell_id = 'cell05'").first().<String>getAs("cell_type")).isNull();
  }

  @Test
  void prefixesCellIdsWithTheFileStemWhenSeveralInputsAreGiven(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(
                    Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
                    Fixtures.atlas("csc_int64_gzip.h5ad").toString())
                .vocabulary(V2)
                .output(tmp.resolve("both").toString())
                .build());
    Map<String, List<Integer>> tokens = tokensById(spark, r.output());
    assertThat(tokens).hasSize(74);
    assertThat(tokens.get("csr_float32_gzip:hand1")).isEqualTo(tokens.get("csc_int64_gzip:hand1"));
    assertThat(r.cellsRead()).isEqualTo(80);
  }

  @Test
  void truncatesToTheModelInputSizeKeepingSpecialTokens(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark, options("csr_float32_gzip.h5ad", V2, "out").modelInputSize(5).build());
    List<Integer> full = Expected.tokens("v2").get("long1");
    assertThat(tokensById(spark, r.output()).get("long1"))
        .containsExactly(
            full.get(0), full.get(1), full.get(2), full.get(3), full.get(full.size() - 1));
    assertThat(r.truncated()).isPositive();

    TokenizeResult off =
        TokenizeJob.run(
            spark,
            options("csr_float32_gzip.h5ad", V2, "off").specialTokens(SpecialTokens.OFF).build());
    List<Integer> noSpecial = tokensById(spark, off.output()).get("long1");
    assertThat(noSpecial).isEqualTo(full.subList(1, full.size() - 1));
  }

  @Test
  void noFilterPassKeepsEveryCellWithGenes(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark, options("csr_float32_gzip.h5ad", V2, "out").useFilterPass(false).build());
    assertThat(r.cellsWritten()).isEqualTo(38);
    assertThat(r.droppedFilterPass()).isZero();
  }

  @Test
  void writesASummaryBesideTheTable(SparkSession spark) throws IOException {
    TokenizeResult r = TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V2, "out").build());
    JsonNode s = summary(r);
    assertThat(s.get("job").asText()).isEqualTo("tokenize");
    assertThat(s.at("/counts/cells_read").asLong()).isEqualTo(40);
    assertThat(s.at("/counts/cells_written").asLong()).isEqualTo(37);
    assertThat(s.at("/counts/dropped_filter_pass").asLong()).isEqualTo(1);
    assertThat(s.at("/counts/dropped_no_vocabulary_gene").asLong()).isEqualTo(2);
    assertThat(s.at("/inputs/0/vocabulary_genes_matched").asInt()).isEqualTo(27);
    assertThat(s.at("/inputs/0/input_genes_unmatched").asInt()).isEqualTo(8);
    assertThat(s.at("/inputs/0/input_genes_collapsed").asInt()).isEqualTo(1);
    assertThat(s.at("/inputs/0/matrix").asText()).isEqualTo("CSR float32 (deflate)");
    assertThat(s.at("/vocabulary/files/0/sha256").asText()).hasSize(64);
    assertThat(s.at("/options/special_tokens").asBoolean()).isTrue();
    assertThat(s.at("/timings/total_seconds").asDouble()).isPositive();
    // Nothing but the table, its markers and the summary; no staging folder left beside it.
    try (var siblings = Files.list(tmp)) {
      assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("out");
    }
  }

  /**
   * Token tables are written in 32 MiB row groups (a writing task's memory, see TokenizeJob), but a
   * row-group size the user set for the session's Parquet writers wins.
   */
  @Test
  void aRowGroupSizeSetForTheSessionWins(SparkSession spark) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    TokenizeResult ours =
        TokenizeJob.run(
            spark,
            TokenTables.v1(Fixtures.atlas("classify_atlas.h5ad").toString())
                .partitions(1)
                .output(tmp.resolve("ours").toString())
                .build());
    hadoop.set("parquet.block.size", "16384");
    try {
      TokenizeResult theirs =
          TokenizeJob.run(
              spark,
              TokenTables.v1(Fixtures.atlas("classify_atlas.h5ad").toString())
                  .partitions(1)
                  .output(tmp.resolve("theirs").toString())
                  .build());
      assertThat(rowGroups(ours.output())).isEqualTo(1); // 600 cells: far below 32 MiB
      assertThat(rowGroups(theirs.output())).isGreaterThan(1);
    } finally {
      hadoop.unset("parquet.block.size");
    }
  }

  private int rowGroups(String output) throws IOException {
    int groups = 0;
    try (var files = Files.list(Path.of(java.net.URI.create(output)))) {
      for (Path part : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        try (ParquetFileReader reader =
            ParquetFileReader.open(
                HadoopInputFile.fromPath(
                    new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
          groups += reader.getFooter().getBlocks().size();
        }
      }
    }
    return groups;
  }

  /**
   * Geneformer reads tokens as a Hugging Face dataset (pyarrow underneath): input_ids must be a
   * LIST that pyarrow maps to list<int32>. It is written in the two-level layout (a required
   * repeated int32 directly inside the LIST group: the Parquet spec's first backward-compatibility
   * rule) for speed, see TokenizeJob; length is an int32.
   */
  @Test
  void parquetUsesAListLayoutThatPyarrowReads(SparkSession spark) throws IOException {
    String before = spark.conf().get(TokenizeJob.LEGACY_PARQUET_LISTS, "false");
    TokenizeResult r = TokenizeJob.run(spark, options("csr_float32_gzip.h5ad", V2, "out").build());
    assertThat(spark.conf().get(TokenizeJob.LEGACY_PARQUET_LISTS, "false"))
        .isEqualTo(before); // restored
    Path part;
    try (var files = Files.list(tmp.resolve("out"))) {
      part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    MessageType schema;
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
      schema = reader.getFooter().getFileMetaData().getSchema();
    }
    GroupType inputIds = schema.getType("input_ids").asGroupType();
    assertThat(inputIds.getLogicalTypeAnnotation()).isEqualTo(LogicalTypeAnnotation.listType());
    assertThat(inputIds.getFieldCount()).isEqualTo(1);
    PrimitiveType element = inputIds.getType(0).asPrimitiveType();
    assertThat(element.isRepetition(org.apache.parquet.schema.Type.Repetition.REPEATED)).isTrue();
    assertThat(element.getPrimitiveTypeName()).isEqualTo(PrimitiveType.PrimitiveTypeName.INT32);
    assertThat(schema.getType("length").asPrimitiveType().getPrimitiveTypeName())
        .isEqualTo(PrimitiveType.PrimitiveTypeName.INT32);
    // Spark reads it back as the array<int> it wrote.
    assertThat(
            ((ArrayType) spark.read().parquet(r.output()).schema().apply("input_ids").dataType())
                .elementType())
        .isEqualTo(DataTypes.IntegerType);
    // Written as TokenizeJob documents: v2 pages, delta-packed token ids (no dictionary).
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
      var ids =
          reader.getFooter().getBlocks().get(0).getColumns().stream()
              .filter(c -> c.getPath().toDotString().startsWith("input_ids"))
              .findFirst()
              .orElseThrow();
      assertThat(ids.getEncodings())
          .contains(org.apache.parquet.column.Encoding.DELTA_BINARY_PACKED)
          .doesNotContain(org.apache.parquet.column.Encoding.RLE_DICTIONARY);
    }
    assertThat(r.cellsWritten()).isEqualTo(37);
  }

  private static JsonNode summary(TokenizeResult r) throws IOException {
    return new ObjectMapper()
        .readTree(
            java.nio.file.Path.of(java.net.URI.create(r.output() + "/_cellspark.json")).toFile());
  }

  private static Map<String, List<Integer>> sorted(Map<String, List<Integer>> m) {
    return new java.util.TreeMap<>(m);
  }
}
