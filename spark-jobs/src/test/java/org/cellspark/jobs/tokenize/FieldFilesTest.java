package org.cellspark.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CellCountsSchema;
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

/**
 * Files as users bring them, written the way the original tools write them
 * (src/test/python/make_field_fixtures.py): each holds the atlas fixtures' 40 cells, and its tokens
 * must equal those an independent restatement of Geneformer's tokenizer gives
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
    return TokenizeOptions.builder()
        .input(Fixtures.field(fixture).toString())
        .vocabulary(V2)
        .output(tmp.resolve(out).toString());
  }

  /** The fixture's expected tokens per cell. */
  private static Map<String, List<Integer>> expectedTokens(String fixture) {
    Map<String, List<Integer>> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> cell : expected.get(fixture).get("tokens").properties()) {
      List<Integer> ids = new ArrayList<>();
      cell.getValue().forEach(v -> ids.add(v.asInt()));
      out.put(cell.getKey(), ids);
    }
    return out;
  }

  private static Map<String, List<Integer>> tokens(SparkSession spark, TokenizeResult r) {
    return TokenTables.tokensByCell(spark, r.output());
  }

  // ---------------------------------------------------------------------------------------------
  // An obs that gives the job no column to read (CELLxGENE, scvelo): n_counts from the counts.

  @Test
  void cellxgeneFileTokenizesFromRawWithoutAnyAnnotation(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(spark, options("cellxgene.h5ad", "plain").counts("raw").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("cellxgene.h5ad"));
    assertThat(r.nCountsComputed()).isEqualTo(40);
  }

  @Test
  void cellxgeneFileCarriesItsSchemaColumns(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("cellxgene.h5ad", "annotated")
                .counts("raw")
                .attribute("cell_type")
                .attribute("donor_id")
                .attribute("is_primary_data")
                .build());
    Map<String, String> types = new LinkedHashMap<>();
    for (Row row : spark.read().parquet(r.output()).collectAsList()) {
      types.put(
          row.getString(row.fieldIndex("cell_id")), row.getString(row.fieldIndex("cell_type")));
      assertThat(row.getBoolean(row.fieldIndex("is_primary_data"))).isTrue();
    }
    JsonNode e = expected.get("cellxgene.h5ad").get("cell_type");
    assertThat(types)
        .isNotEmpty()
        .allSatisfy((cell, type) -> assertThat(type).as(cell).isEqualTo(e.get(cell).asText()));
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("cellxgene.h5ad"));
  }

  // ---------------------------------------------------------------------------------------------
  // A Seurat object written from R (src/test/r/make_r_fixtures.R): by anndataR, the counts in
  // layers/counts and no X; by SeuratDisk, X the log-normalised data and the counts in raw/X.

  @Test
  void seuratObjectWrittenByAnndataR(SparkSession spark) {
    assertThatThrownBy(
            () -> TokenizeJob.run(spark, options("seurat_anndatar.h5ad", "no-x").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no counts at 'X' (available: layers/counts, layers/data)")
        .hasMessageContaining("Choose one with --counts layers/counts (or another).");
    for (String fixture : List.of("seurat_anndatar.h5ad", "seurat_anndatar_gzip.h5ad")) {
      TokenizeResult r =
          TokenizeJob.run(
              spark,
              options(fixture, fixture + "-out")
                  .counts("layers/counts")
                  .attribute("cell_type")
                  .attribute("nFeature_RNA")
                  .attribute("flag")
                  .attribute("batch")
                  .build());
      assertThat(tokens(spark, r)).as(fixture).isEqualTo(expectedTokens(fixture));
      assertSeuratAnnotations(spark, r, fixture);
      // A logical and an integer with NAs: anndataR's nullable-boolean and nullable-integer,
      // values and mask in rhdf5's int8; read as booleans and integers, NA as null.
      JsonNode flags = expected.get(fixture).get("flag");
      JsonNode batches = expected.get(fixture).get("batch");
      List<Row> rows = spark.read().parquet(r.output()).collectAsList();
      assertThat(rows).extracting(row -> row.get(row.fieldIndex("flag"))).contains(true, false);
      assertThat(rows).extracting(row -> row.get(row.fieldIndex("flag"))).containsNull();
      assertThat(rows).extracting(row -> row.get(row.fieldIndex("batch"))).containsNull();
      for (Row row : rows) {
        String cell = row.getString(row.fieldIndex("cell_id"));
        JsonNode flag = flags.get(cell);
        JsonNode batch = batches.get(cell);
        assertThat(row.get(row.fieldIndex("flag")))
            .as(cell)
            .isEqualTo(flag.isNull() ? null : flag.asBoolean());
        assertThat(row.get(row.fieldIndex("batch")))
            .as(cell)
            .isEqualTo(batch.isNull() ? null : batch.asLong());
      }
    }
  }

  @Test
  void seuratObjectWrittenBySeuratDisk(SparkSession spark) {
    assertThatThrownBy(() -> TokenizeJob.run(spark, options("seuratdisk.h5ad", "x").build()))
        .hasStackTraceContaining("looks normalised")
        .hasStackTraceContaining("--counts raw");
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("seuratdisk.h5ad", "out")
                .counts("raw")
                .attribute("cell_type")
                .attribute("nFeature_RNA")
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("seuratdisk.h5ad"));
    assertSeuratAnnotations(spark, r, "seuratdisk.h5ad");
  }

  /**
   * SeuratDisk's as.loom: /matrix the log-normalised data (refused), the counts in layers/counts,
   * the feature names in row_attrs/Gene, and meta.data's factors as hdf5r's enums of their levels
   * (read as their level names; every enum was read as a boolean before).
   */
  @Test
  void seuratObjectWrittenAsLoomBySeuratDisk(SparkSession spark) {
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark, options("seuratdisk.loom", "x").geneIdColumn("Gene").build()))
        .hasStackTraceContaining("looks normalised");
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("seuratdisk.loom", "out")
                .counts("layers/counts")
                .geneIdColumn("Gene")
                .attribute("cell_type")
                .attribute("nFeature_RNA")
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("seuratdisk.loom"));
    assertSeuratAnnotations(spark, r, "seuratdisk.loom");
  }

  /** DropletUtils' write10xCounts, the R way to a Cell Ranger 3 file or folder. */
  @Test
  void cellRangerFilesWrittenByDropletUtils(SparkSession spark) {
    for (String fixture : List.of("dropletutils.h5", "dropletutils_mtx")) {
      TokenizeResult r = TokenizeJob.run(spark, options(fixture, fixture + "-out").build());
      assertThat(tokens(spark, r)).as(fixture).isEqualTo(expectedTokens(fixture));
    }
  }

  /**
   * The cell types as the atlas has them, a missing one null (code -1 from anndataR, R's
   * NA_integer_ from SeuratDisk, 255 from hdf5r: no member of the loom's enum), and Seurat's
   * nFeature_RNA: the cell's genes with a count.
   */
  private static void assertSeuratAnnotations(
      SparkSession spark, TokenizeResult r, String fixture) {
    JsonNode types = expected.get(fixture).get("cell_type");
    JsonNode detected = expected.get(fixture).get("genes_detected");
    List<Row> rows = spark.read().parquet(r.output()).collectAsList();
    assertThat(rows).hasSize(expected.get(fixture).get("tokens").size());
    assertThat(rows)
        .extracting(row -> row.getString(row.fieldIndex("cell_type")))
        .contains("B cell", "T cell", "monocyte")
        .containsNull();
    for (Row row : rows) {
      String cell = row.getString(row.fieldIndex("cell_id"));
      assertThat(row.getString(row.fieldIndex("cell_type")))
          .as(cell)
          .isEqualTo(types.get(cell).isNull() ? null : types.get(cell).asText());
      assertThat(((Number) row.get(row.fieldIndex("nFeature_RNA"))).longValue())
          .as(cell)
          .isEqualTo(detected.get(cell).asLong());
    }
  }

  @Test
  void obsWithoutAnyColumn(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("no_obs_columns.h5ad", "out").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("no_obs_columns.h5ad"));
  }

  @Test
  void theDataSourceWithoutObsColumnsHasNoObsStruct(SparkSession spark) {
    for (String fixture : List.of("cellxgene.h5ad", "no_obs_columns.h5ad")) {
      Dataset<Row> none =
          spark
              .read()
              .format("h5ad")
              .option("obsColumns", "")
              .load(Fixtures.field(fixture).toString());
      assertThat(none.columns())
          .as(fixture)
          .doesNotContain(CellCountsSchema.OBS)
          .contains(CellCountsSchema.CELL_ID);
      assertThat(none.count()).isEqualTo(40);
      assertThat(none.select("counts").where("size(counts) > 0").count())
          .as("every cell but zero1")
          .isEqualTo(39);
    }
    // All columns (the default) of a file that has none: no obs column either.
    assertThat(
            spark
                .read()
                .format("h5ad")
                .load(Fixtures.field("no_obs_columns.h5ad").toString())
                .columns())
        .doesNotContain(CellCountsSchema.OBS);
  }

  @Test
  void mediansOfACellxgeneFile(SparkSession spark) {
    MediansResult r =
        MediansJob.run(
            spark,
            MediansOptions.builder()
                .inputs(List.of(Fixtures.field("cellxgene.h5ad").toString()))
                .output(tmp.resolve("vocab").toString())
                .counts("raw")
                .build());
    Vocabulary v = VocabularyLoader.load(Path.of(java.net.URI.create(r.output())));
    JsonNode e = expected.get("cellxgene.h5ad").get("medians");
    assertThat(r.genesWritten()).isEqualTo(e.size());
    e.properties()
        .forEach(
            g ->
                assertThat(v.median(g.getKey()))
                    .as(g.getKey())
                    .isCloseTo(g.getValue().asDouble(), within(1e-9 * g.getValue().asDouble())));
  }

  // ---------------------------------------------------------------------------------------------
  // Cell Ranger 1.x / 2.x: one group per genome.

  /** Expected tokens keyed by barcode: Cell Ranger's cell IDs, in the atlas's cell order. */
  private static Map<String, List<Integer>> expectedByBarcode(String fixture) {
    Map<String, List<Integer>> byName = expectedTokens(fixture);
    Map<String, List<Integer>> out = new TreeMap<>();
    JsonNode barcodes = expected.get(fixture).get("barcodes");
    for (int i = 0; i < barcodes.size(); i++) {
      List<Integer> t = byName.get(atlasCellNames().get(i));
      if (t != null) {
        out.put(barcodes.get(i).asText(), t);
      }
    }
    return out;
  }

  /** The atlas's cell names in row order (the fixtures' shared cells). */
  private static List<String> atlasCellNames() {
    List<String> names = new ArrayList<>();
    JsonNode cells = org.cellspark.testing.Expected.cells();
    cells.forEach(c -> names.add(c.get("cell_id").asText()));
    return names;
  }

  @Test
  void cellRanger2ReadsItsGenomeGroup(SparkSession spark) {
    TokenizeResult r = TokenizeJob.run(spark, options("cellranger2.h5", "cr2").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedByBarcode("cellranger2.h5")).hasSize(38);
    assertThat(r.summary().toString()).contains("Cell Ranger HDF5, 36 features x 40 cells");
  }

  @Test
  void severalGenomesNeedGenomeAndTheRefusalListsThem(SparkSession spark) {
    assertThatThrownBy(
            () -> TokenizeJob.run(spark, options("cellranger2_barnyard.h5", "none").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("several genomes (hg19, mm10")
        .hasMessageContaining("--genome NAME");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark, options("cellranger2_barnyard.h5", "wrong").genome("GRCh38").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("with the genomes hg19, mm10, not 'GRCh38'");
    TokenizeResult hg19 =
        TokenizeJob.run(spark, options("cellranger2_barnyard.h5", "hg19").genome("hg19").build());
    assertThat(tokens(spark, hg19))
        .isEqualTo(expectedByBarcode("cellranger2_barnyard.h5"))
        .isEqualTo(expectedByBarcode("cellranger2.h5"));
    // Cell Ranger 3's layout names genomes per feature: the same option chooses there.
    String v3 =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/tenx/classify_10x.h5")
            .toString();
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input(v3)
                        .vocabulary("builtin:geneformer-v1")
                        .output(tmp.resolve("v3").toString())
                        .genome("mm10")
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("with the genomes GRCh38, not 'mm10'");
    TokenizeResult grch38 =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(v3)
                .vocabulary("builtin:geneformer-v1")
                .minGeneMatch(0.1)
                .output(tmp.resolve("v3-grch38").toString())
                .genome("GRCh38")
                .build());
    assertThat(grch38.cellsWritten()).isEqualTo(600);
    // --genome on inputs that have no genomes is refused, not ignored.
    assertThatThrownBy(
            () ->
                TokenizeJob.run(spark, options("no_obs_columns.h5ad", "g").genome("hg19").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--genome hg19 is for Cell Ranger .h5 inputs");
  }

  @Test
  void geneIdColumnIsRefusedWhereIdsHaveAFixedPlace(SparkSession spark) {
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark, options("cellranger2.h5", "c").geneIdColumn("gene_ids").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("whose gene IDs are GRCh38/genes")
        .hasMessageContaining(
            "--gene-id-column (here 'gene_ids') is for .h5ad, .zarr and loom inputs only");
    String mtx =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/mtx/classify_10x")
            .toString();
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    TokenizeOptions.builder()
                        .input(mtx)
                        .vocabulary("builtin:geneformer-v1")
                        .output(tmp.resolve("m").toString())
                        .geneIdColumn("ensembl_id")
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "is a Matrix Market folder, whose gene IDs are the first column of features.tsv");
    assertThat(tmp.resolve("c")).doesNotExist();
    assertThat(tmp.resolve("m")).doesNotExist();
  }

  // ---------------------------------------------------------------------------------------------
  // AnnData as anndata 0.6 wrote it: compound obs / var, categories in uns.

  @Test
  void anndata06FilesTokenizeWithTheirAnnotations(SparkSession spark) {
    for (String fixture : List.of("anndata06.h5ad", "anndata06_dense.h5ad")) {
      TokenizeResult r =
          TokenizeJob.run(
              spark,
              options(fixture, fixture)
                  .geneIdColumn("gene_ids")
                  .attribute("cell_type")
                  .attribute("donor")
                  .attribute("is_control")
                  .build());
      assertThat(tokens(spark, r)).as(fixture).isEqualTo(expectedTokens(fixture));
      assertThat(r.droppedFilterPass()).as("filter_pass from the compound obs").isEqualTo(1);
      JsonNode e = expected.get(fixture);
      for (Row row : spark.read().parquet(r.output()).collectAsList()) {
        String cell = row.getString(row.fieldIndex("cell_id"));
        JsonNode type = e.get("cell_type").get(cell);
        assertThat(row.getString(row.fieldIndex("cell_type")))
            .as(cell)
            .isEqualTo(type.isNull() ? null : type.asText());
        assertThat(row.getString(row.fieldIndex("donor")))
            .as(cell)
            .isEqualTo(e.get("donor").get(cell).asText());
        assertThat(row.getBoolean(row.fieldIndex("is_control")))
            .as(cell)
            .isEqualTo(e.get("is_control").get(cell).asBoolean());
      }
    }
  }

  @Test
  void anndata06ThroughTheDataSource(SparkSession spark) {
    Dataset<Row> cells =
        spark.read().format("h5ad").load(Fixtures.field("anndata06.h5ad").toString());
    assertThat(cells.schema().apply("obs").dataType().simpleString())
        .isEqualTo(
            "struct<cell_type:string,donor:string,n_counts:double,filter_pass:bigint,age:bigint,is_control:boolean>");
    Row hand1 =
        cells.where("cell_id = 'hand1'").select("obs.cell_type", "obs.n_counts", "obs.age").first();
    assertThat(hand1.getString(0))
        .isEqualTo(expected.get("anndata06.h5ad").get("cell_type").get("hand1").asText());
    assertThat(hand1.getDouble(1)).isEqualTo(100.0);
    assertThat(hand1.getLong(2)).isEqualTo(20L);
  }

  // ---------------------------------------------------------------------------------------------
  // MuData: a modality's AnnData.

  @Test
  void mudataReadsTheRnaModality(SparkSession spark) {
    TokenizeResult r =
        TokenizeJob.run(spark, options("mudata.h5mu", "rna").attribute("cell_type").build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("mudata.h5mu"));
    assertThat(
            TokenizeJob.run(spark, options("mudata.h5mu", "named").modality("rna").build())
                .cellsWritten())
        .isEqualTo(r.cellsWritten());
    assertThatThrownBy(
            () -> TokenizeJob.run(spark, options("mudata.h5mu", "atac").modality("atac").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("is a MuData file with the modalities")
        .hasMessageContaining("prot")
        .hasMessageContaining("rna")
        .hasMessageContaining("no modality 'atac'");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(spark, options("no_obs_columns.h5ad", "m").modality("rna").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--modality rna is for MuData (.h5mu) inputs");
    Dataset<Row> prot =
        spark
            .read()
            .format("h5ad")
            .option("modality", "prot")
            .load(Fixtures.field("mudata.h5mu").toString());
    assertThat(prot.count()).isEqualTo(40);
    assertThat(prot.selectExpr("max(size(gene_index))").first().getInt(0)).isLessThanOrEqualTo(3);
  }

  // ---------------------------------------------------------------------------------------------
  // Another organism's genes.

  @Test
  void anotherOrganismsGenesAreRefusedUnlessAskedFor(SparkSession spark) {
    assertThatThrownBy(() -> TokenizeJob.run(spark, options("mouse_ids.h5ad", "ids").build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("36 of its 36 gene IDs are mouse Ensembl IDs (ENSMUSG...)")
        .hasMessageContaining("the vocabulary is for human genes (ENSG...)");
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    options("mouse_symbols.h5ad", "symbols").geneIdType(GeneIdType.SYMBOL).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("as mouse and rat symbols are")
        .hasMessageContaining(
            "27 of them match the vocabulary's human genes only once upper-cased, 0 as written")
        .hasMessageContaining("--cross-species");
    TokenizeResult r =
        TokenizeJob.run(
            spark,
            options("mouse_symbols.h5ad", "cross")
                .geneIdType(GeneIdType.SYMBOL)
                .crossSpecies(true)
                .build());
    assertThat(tokens(spark, r)).isEqualTo(expectedTokens("mouse_symbols.h5ad"));
    JsonNode symbols = summary(r).at("/inputs/0/gene_symbols");
    assertThat(symbols.get("symbols_matched_by_upper_case").asInt()).isEqualTo(27);
    assertThat(symbols.get("symbols_matched_exactly").asInt()).isZero();
    assertThat(summary(r).at("/vocabulary/organism").asText()).isEqualTo("human");
    assertThat(summary(r).at("/options/cross_species").asBoolean()).isTrue();
  }

  private static JsonNode summary(TokenizeResult r) {
    try {
      return new ObjectMapper()
          .readTree(Path.of(java.net.URI.create(r.output())).resolve("_cellspark.json").toFile());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
