package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.medians.MediansJob;
import org.cellspark.jobs.medians.MediansOptions;
import org.cellspark.jobs.medians.MediansResult;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.testing.TokenTables;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AnnData zarr stores as anndata and zarr write them (src/test/python/make_zarr_fixtures.py): each
 * holds the atlas fixtures' 40 cells, and its tokens must equal those an independent restatement of
 * Geneformer's tokenizer gives (fixtures/zarr/expected.json); obs columns of every encoding come
 * through as the fixture script made them.
 */
@ExtendWith(SharedSpark.class)
class ZarrStoresTest {
  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();
  private static JsonNode expected;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws IOException {
    expected = new ObjectMapper().readTree(Fixtures.zarr("expected.json").toFile());
  }

  private TokenizeOptions.Builder options(String store, String out) {
    return TokenizeOptions.builder()
        .input(Fixtures.zarr(store).toString())
        .vocabulary(V2)
        .output(tmp.resolve(out).toString());
  }

  private static Map<String, List<Integer>> expectedTokens(String store) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> cell : expected.get(store).get("tokens").properties()) {
      List<Integer> ids = new ArrayList<>();
      cell.getValue().forEach(v -> ids.add(v.asInt()));
      out.put(cell.getKey(), ids);
    }
    return out;
  }

  private static Map<String, List<Integer>> tokens(SparkSession spark, TokenizeResult r) {
    return TokenTables.tokensByCell(spark, r.output());
  }

  /** Each row's cell_type is the one the fixture script wrote for its cell (null: missing). */
  private static void assertCellTypes(List<Row> rows, String store) {
    JsonNode types = expected.get(store).get("cell_type");
    assertThat(rows).isNotEmpty();
    for (Row row : rows) {
      String cell = row.getString(row.fieldIndex("cell_id"));
      JsonNode type = types.get(cell);
      assertThat(row.<String>getAs("cell_type"))
          .as(cell)
          .isEqualTo(type.isNull() ? null : type.asText());
    }
  }

  /** The fixture's row of cell {@code name} (make_fixtures.atlas_obs names them so). */
  private static int row(String name) {
    return switch (name) {
      case "hand1" -> 0;
      case "empty1" -> 1;
      case "long1" -> 2;
      case "zero1" -> 3;
      default -> Integer.parseInt(name.substring("cell".length()));
    };
  }

  /**
   * atlas.zarr as write_zarr writes it; the same store as anndata 0.13 writes it with pandas 3
   * (pandas3_strings.zarr: the obs and var indexes and var's string column as nullable string
   * arrays), whose obs index was refused as "no index array"; and in zarr format 3 (atlas_v3.zarr:
   * zarr.json per node, c/0 chunk keys, zstd), which was refused as a format, also in shards
   * (atlas_sharded.zarr: inner chunks of 16, 4 to a shard, fill-only ones not written). All made by
   * make_anndata013_fixtures.py.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"atlas.zarr", "pandas3_strings.zarr", "atlas_v3.zarr", "atlas_sharded.zarr"})
  void storeAsWriteZarrWritesItTokenizesAsGeneformerDoes(String store, SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options(store, store)
                .attribute("cell_type")
                .attribute("donor")
                .attribute("age")
                .attribute("score")
                .attribute("is_control")
                .attribute("batch")
                .attribute("flag")
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("atlas.zarr"));
    List<Row> rows = spark.read().parquet(r.output()).collectAsList();
    // cell06 fails filter_pass; zero1 has no counts, empty1 no gene of the vocabulary.
    assertThat(rows).hasSize(37);
    assertCellTypes(rows, "atlas.zarr");
    for (Row row : rows) {
      String cell = row.getString(row.fieldIndex("cell_id"));
      int i = row(cell);
      assertThat(row.<String>getAs("donor")).isEqualTo("donor" + i % 4);
      assertThat(row.<Long>getAs("age")).isEqualTo(20L + i);
      assertThat(row.<Double>getAs("score")).isCloseTo(i / 39.0, within(1e-6));
      assertThat(row.<Boolean>getAs("is_control")).isEqualTo(i % 5 == 0);
      assertThat(row.<Long>getAs("batch")).as(cell).isEqualTo(i % 7 == 0 ? null : (long) (i % 3));
      assertThat(row.<Boolean>getAs("flag")).as(cell).isEqualTo(i % 6 == 0 ? null : i % 2 == 1);
    }
  }

  @Test
  void cellxgeneShapedStoreReadsRawCountsAndIdsFromTheIndex(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("cellxgene.zarr", "cellxgene")
                .counts("raw")
                .attribute("donor_id")
                .attribute("is_primary_data")
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("cellxgene.zarr"));
    assertThat(r.nCountsComputed()).isEqualTo(40);
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark, options("cellxgene.zarr", "absent").counts("layers/counts").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cellxgene.zarr has no counts at 'layers/counts'")
        .hasMessageContaining("available: X, raw, layers/spliced");
  }

  @Test
  void mediansOfACellxgeneShapedStore(SparkSession spark) {
    MediansResult r =
        MediansJob.run(
            spark,
            MediansOptions.builder()
                .inputs(List.of(Fixtures.zarr("cellxgene.zarr").toString()))
                .output(tmp.resolve("vocab").toString())
                .counts("raw")
                .build());
    Vocabulary v = VocabularyLoader.load(Path.of(java.net.URI.create(r.output())));
    JsonNode e = expected.get("cellxgene.zarr").get("medians");
    assertThat(r.genesWritten()).isEqualTo(e.size());
    e.properties()
        .forEach(
            g ->
                assertThat(v.median(g.getKey()))
                    .as(g.getKey())
                    .isCloseTo(g.getValue().asDouble(), within(1e-9 * g.getValue().asDouble())));
  }

  @Test
  void denseChunkedZstdAndZlibLz4StoresTokenizeAlike(SparkSession spark) {
    for (String store : List.of("dense_zstd.zarr", "csr_zlib.zarr")) {
      TokenizeResult r = TokenizeJob.run(spark, options(store, store).partitions(3).build());
      assertThat(tokens(spark, r)).as(store).isEqualTo(expectedTokens(store));
    }
    // dense_zstd.zarr in zarr format 3: c/i/j keys, transpose (Fortran order), zstd, crc32c; and
    // in shards of 2 x 2 inner chunks.
    for (String store : List.of("dense_v3.zarr", "dense_sharded.zarr")) {
      TokenizeResult r = TokenizeJob.run(spark, options(store, store).partitions(3).build());
      assertThat(tokens(spark, r)).as(store).isEqualTo(expectedTokens("dense_zstd.zarr"));
    }
  }

  @Test
  void storeAsAnndata07WroteItTokenizesWithItsCategories(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("anndata07.zarr", "anndata07")
                .attribute("cell_type")
                .attribute("donor")
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("anndata07.zarr"));
    List<Row> rows = spark.read().parquet(r.output()).collectAsList();
    assertCellTypes(rows, "anndata07.zarr");
    for (Row row : rows) {
      String cell = row.getString(row.fieldIndex("cell_id"));
      assertThat(row.<String>getAs("donor")).isEqualTo("donor" + row(cell) % 4);
    }
  }

  @Test
  void cscCountsAreGatheredIntoCellsWithOneShuffle(SparkSession spark) {
    for (int partitions : new int[] {0, 3}) {
      TokenizeResult r =
          TokenizeJob.run(
              spark,
              options("csc.zarr", "csc-" + partitions)
                  .partitions(partitions)
                  .attribute("cell_type")
                  .build());
      assertThat(tokens(spark, r))
          .as("partitions %d", partitions)
          .isEqualTo(expectedTokens("csc.zarr"));
      assertCellTypes(spark.read().parquet(r.output()).collectAsList(), "atlas.zarr");
    }
  }

  @Test
  void zarrFormat3CodecsItCannotReadAndDamagedChecksumsAreRefusedSayingWhy(SparkSession spark)
      throws IOException {
    Path unknown = tmp.resolve("bz2.zarr");
    FileUtils.copyDirectory(Fixtures.zarr("atlas_v3.zarr").toFile(), unknown.toFile());
    Path meta = unknown.resolve("X/data/zarr.json");
    Files.writeString(meta, Files.readString(meta).replace("\"zstd\"", "\"numcodecs.bz2\""));
    assertThatThrownBy(() -> TokenizeJob.run(spark, storeOptions(unknown, "bz2-out")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "bz2.zarr: array X/data is compressed with 'numcodecs.bz2', which Cellspark does not"
                + " read");

    // Found in tasks: Spark's failure carries them (the CLI prints them alone).
    Path damaged = tmp.resolve("damaged.zarr");
    FileUtils.copyDirectory(Fixtures.zarr("dense_v3.zarr").toFile(), damaged.toFile());
    flipLastByte(damaged.resolve("X/c/1/2")); // the chunk's crc32c no longer matches
    assertThatThrownBy(() -> TokenizeJob.run(spark, storeOptions(damaged, "damaged-out")))
        .hasStackTraceContaining(
            "damaged.zarr: chunk c/1/2 of array X could not be decompressed (its crc32c checksum"
                + " does not match its bytes)");

    Path shard = tmp.resolve("damaged-shard.zarr");
    FileUtils.copyDirectory(Fixtures.zarr("dense_sharded.zarr").toFile(), shard.toFile());
    flipLastByte(shard.resolve("X/c/1/2")); // the shard index's crc32c no longer matches
    assertThatThrownBy(() -> TokenizeJob.run(spark, storeOptions(shard, "damaged-shard-out")))
        .hasStackTraceContaining(
            "damaged-shard.zarr: shard c/1/2 of array X cannot be read (its index's crc32c"
                + " checksum does not match)");
  }

  private static void flipLastByte(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 1] ^= 1;
    Files.write(file, bytes);
  }

  /**
   * A SpatialData store (Xenium, Visium HD through spatialdata-io) keeps its cells' counts as
   * AnnData tables in format 3 under tables/: a table is read as any store, and the store itself is
   * refused naming its tables.
   */
  @Test
  void aSpatialDataTableIsReadAndTheStoreNamesItsTables(SparkSession spark) throws IOException {
    Path sdata = Files.createDirectories(tmp.resolve("sdata.zarr/tables"));
    String group = "{\"zarr_format\": 3, \"node_type\": \"group\", \"attributes\": %s}";
    Files.writeString(
        sdata.getParent().resolve("zarr.json"),
        String.format(group, "{\"spatialdata_attrs\": {\"version\": \"0.2\"}}"));
    Files.writeString(sdata.resolve("zarr.json"), String.format(group, "{}"));
    FileUtils.copyDirectory(
        Fixtures.zarr("atlas_v3.zarr").toFile(), sdata.resolve("table").toFile());

    TokenizeResult r =
        TokenizeJob.run(spark, storeOptions(sdata.resolve("table"), "sdata-table-out"));
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("atlas.zarr"));
    assertThatThrownBy(() -> TokenizeJob.run(spark, storeOptions(sdata.getParent(), "sdata-out")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "sdata.zarr is a SpatialData store, not an AnnData one: its tables are AnnData. Pass"
                + " one of them, e.g. --input ")
        .hasMessageEndingWith("sdata.zarr/tables/table (tables: table)");
  }

  private TokenizeOptions storeOptions(Path store, String out) {
    return TokenizeOptions.builder()
        .input(store.toString())
        .vocabulary(V2)
        .output(tmp.resolve(out).toString())
        .build();
  }

  @Test
  void foldersAndGlobsOfStoresAreReadStoreByStore(SparkSession spark) throws IOException {
    Path folder = Files.createDirectories(tmp.resolve("stores"));
    FileUtils.copyDirectory(
        Fixtures.zarr("atlas.zarr").toFile(), folder.resolve("a.zarr").toFile());
    FileUtils.copyDirectory(
        Fixtures.zarr("csr_zlib.zarr").toFile(), folder.resolve("b.zarr").toFile());
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), folder.resolve("c.h5ad"));
    Map<String, List<Integer>> atlas = expectedTokens("atlas.zarr");
    for (String spec : List.of(folder.toString(), folder.resolve("*.zarr").toString())) {
      TokenizeResult r =
          TokenizeJob.run(
              spark,
              TokenizeOptions.builder()
                  .input(spec)
                  .vocabulary(V2)
                  .output(tmp.resolve("from-" + spec.length()).toString())
                  .build());
      Map<String, List<Integer>> got = tokens(spark, r);
      List<String> stems = spec.endsWith("*.zarr") ? List.of("a", "b") : List.of("a", "b", "c");
      assertThat(got).as(spec).hasSize(atlas.size() * stems.size());
      for (String stem : stems) {
        atlas.forEach(
            (cell, ids) ->
                assertThat(got.get(stem + ":" + cell)).as(stem + " " + cell).isEqualTo(ids));
      }
    }
  }
}
