package org.cellspark.jobs.medians;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.jobs.tokenize.TokenizeResult;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vocabularies built from atlases, against medians computed with anndata and numpy
 * (src/test/python/make_medians_reference.py, fixtures/medians/expected.json).
 */
@ExtendWith(SharedSpark.class)
class MediansJobTest {
  @TempDir Path tmp;
  private static JsonNode expected;

  @BeforeAll
  static void load() throws IOException {
    expected =
        new ObjectMapper()
            .readTree(
                Fixtures.repositoryRoot()
                    .resolve("spark-jobs/src/test/resources/fixtures/medians/expected.json")
                    .toFile());
  }

  private static Path folder(MediansResult r) {
    return Path.of(java.net.URI.create(r.output()));
  }

  @Test
  void exactMediansEqualNumpyAndTheTokenizerTakesTheVocabulary(SparkSession spark)
      throws IOException {
    String atlas = Fixtures.atlas("csr_float32_gzip.h5ad").toString();
    MediansResult r =
        MediansJob.run(
            spark,
            MediansOptions.of(List.of(atlas), tmp.resolve("vocab").toString())
                .withSpecialTokens(true));
    JsonNode e = expected.get("csr_float32_gzip.h5ad");
    Vocabulary v = VocabularyLoader.load(folder(r));
    assertThat(r.genesWritten()).isEqualTo(e.size());
    for (Map.Entry<String, JsonNode> g : e.properties()) {
      assertThat(v.median(g.getKey()))
          .as(g.getKey())
          .isCloseTo(
              g.getValue().get("median").asDouble(),
              within(1e-9 * g.getValue().get("median").asDouble()));
    }
    // <pad>, <mask>, <cls>, <eos>, then the genes in Ensembl order.
    assertThat(v.tokenId("<pad>")).hasValue(0);
    assertThat(v.tokenId("<mask>")).hasValue(1);
    assertThat(v.clsId()).hasValue(2);
    assertThat(v.eosId()).hasValue(3);
    List<String> genes = new ArrayList<>();
    e.fieldNames().forEachRemaining(genes::add);
    for (int i = 0; i < genes.size(); i++) {
      assertThat(v.tokenId(genes.get(i))).hasValue(4 + i);
    }
    assertThat(v.symbolToId()).containsEntry("SYM_0013", "ENSG00000000013");
    // The TSV twin is a vocabulary folder with the same content.
    Vocabulary tsv = VocabularyLoader.load(folder(r).resolve("tsv"));
    for (String g : genes) {
      assertThat(tsv.median(g)).isEqualTo(v.median(g));
      assertThat(tsv.tokenId(g)).isEqualTo(v.tokenId(g));
    }
    // The tokenizer takes it as it is.
    TokenizeResult t =
        TokenizeJob.run(
            spark,
            TokenizeOptions.builder()
                .input(atlas)
                .vocabulary(folder(r).toString())
                .output(tmp.resolve("tokens").toString())
                .build());
    assertThat(t.cellsWritten()).isPositive();
    assertThat(r.summary())
        .extractingByKey("counts")
        .asString()
        .contains("cells_left_out_by_filter_pass=");
  }

  @Test
  void picklesArePlainDictsForPython(SparkSession spark) throws Exception {
    MediansResult r =
        MediansJob.run(
            spark,
            MediansOptions.of(
                List.of(Fixtures.atlas("csr_float32_gzip.h5ad").toString()),
                tmp.resolve("vocab").toString()));
    Path python = Path.of("/usr/bin/python3");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(python), "no /usr/bin/python3 on this machine");
    String script =
        "import pickle,sys\n"
            + "for f in ('token_dictionary','gene_median_dictionary','gene_name_id_dict'):\n"
            + "    d = pickle.load(open(sys.argv[1] + '/' + f + '.pkl', 'rb'))\n"
            + "    assert type(d) is dict, type(d)\n"
            + "    print(f, len(d), sorted({type(k).__name__ for k in d}), sorted({type(v).__name__"
            + " for v in d.values()}))\n";
    Process p =
        new ProcessBuilder(python.toString(), "-c", script, folder(r).toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    int genes = expected.get("csr_float32_gzip.h5ad").size();
    assertThat(out)
        .contains("token_dictionary " + (genes + 2) + " ['str'] ['int']")
        .contains("gene_median_dictionary " + genes + " ['str'] ['float']")
        .contains("gene_name_id_dict " + genes + " ['str'] ['str']");
  }

  @Test
  void approximateMediansStayBetweenTheMiddleValues(SparkSession spark) {
    String atlas = Fixtures.atlas("classify_atlas.h5ad").toString();
    MediansResult exact =
        MediansJob.run(spark, MediansOptions.of(List.of(atlas), tmp.resolve("exact").toString()));
    MediansResult approx =
        MediansJob.run(
            spark,
            MediansOptions.of(List.of(atlas), tmp.resolve("approx").toString())
                .withApproximate(true));
    Vocabulary ve = VocabularyLoader.load(folder(exact));
    Vocabulary va = VocabularyLoader.load(folder(approx));
    JsonNode e = expected.get("classify_atlas.h5ad");
    double worst = 0;
    double worstCommon = 0; // genes in 100 cells or more
    for (Map.Entry<String, JsonNode> g : e.properties()) {
      double m = g.getValue().get("median").asDouble();
      assertThat(ve.median(g.getKey())).as(g.getKey()).isCloseTo(m, within(1e-9 * m));
      // Below 100,000 cells per gene, percentile_approx returns one of the middle values.
      assertThat(va.median(g.getKey()))
          .as(g.getKey())
          .isBetween(g.getValue().get("lower").asDouble(), g.getValue().get("upper").asDouble());
      double d = Math.abs(va.median(g.getKey()) - m) / m;
      worst = Math.max(worst, d);
      if (g.getValue().get("cells").asLong() >= 100) {
        worstCommon = Math.max(worstCommon, d);
      }
    }
    System.out.printf(
        "medians: approximate vs exact on %d genes, largest relative difference %.3g (%.3g for"
            + " genes in >= 100 cells)%n",
        e.size(), worst, worstCommon);
  }

  @Test
  void everyFormatGivesTheH5adsMedians(SparkSession spark) {
    // The same 600 cells in three formats (fixtures written from the h5ad; the .h5 and the MTX
    // folder also hold an antibody feature, which is not a gene and counts toward nothing).
    Path root = Fixtures.repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures");
    Vocabulary h5ad =
        VocabularyLoader.load(
            folder(
                MediansJob.run(
                    spark,
                    MediansOptions.of(
                        List.of(Fixtures.atlas("classify_atlas.h5ad").toString()),
                        tmp.resolve("a").toString()))));
    for (String input :
        List.of(
            root.resolve("tenx/classify_10x.h5").toString(),
            root.resolve("mtx/classify_10x").toString(),
            root.resolve("loom/classify_atlas.loom").toString())) {
      MediansResult r =
          MediansJob.run(
              spark,
              MediansOptions.of(List.of(input), tmp.resolve("b" + input.length()).toString()));
      Vocabulary v = VocabularyLoader.load(folder(r));
      assertThat(v.medians()).as(input).isEqualTo(h5ad.medians());
      assertThat(r.cells()).isEqualTo(600);
    }
    // A Parquet long table of the same counts (from make_long_fixtures.py's CSV; n_counts on the
    // rows).
    String table = tmp.resolve("long").toString();
    spark
        .read()
        .option("header", true)
        .schema(
            "cell_id STRING, gene_id STRING, count INT, cell_type STRING, donor STRING, n_counts"
                + " DOUBLE")
        .csv(root.resolve("long/classify_long.csv.gz").toString())
        .write()
        .parquet(table);
    MediansResult r =
        MediansJob.run(
            spark, MediansOptions.of(List.of(table), tmp.resolve("from-long").toString()));
    assertThat(VocabularyLoader.load(folder(r)).medians()).isEqualTo(h5ad.medians());

    // --cell-table: the cells' n_counts and filter_pass in a table of their own, as the same
    // columns on the long table's rows give them. Doubled totals halve every normalised count, and
    // one cell in three failing the filter leaves 400 counted: medians unlike the h5ad's.
    Dataset<Row> cellTable =
        spark
            .read()
            .parquet(table)
            .groupBy("cell_id")
            .agg(org.apache.spark.sql.functions.first("n_counts").as("n_counts"))
            .selectExpr(
                "cell_id",
                "n_counts * 2 AS n_counts",
                "CAST(pmod(CAST(substr(cell_id, 5) AS INT), 3) <> 0 AS INT) AS filter_pass");
    String cells = tmp.resolve("long-cells").toString();
    cellTable.write().parquet(cells);
    String countsOnly = tmp.resolve("long-counts").toString();
    spark.read().parquet(table).select("cell_id", "gene_id", "count").write().parquet(countsOnly);
    String onRows = tmp.resolve("long-on-rows").toString();
    spark.read().parquet(countsOnly).join(cellTable, "cell_id").write().parquet(onRows);
    MediansResult fromTable =
        MediansJob.run(
            spark,
            MediansOptions.builder()
                .inputs(List.of(countsOnly))
                .cellTable(cells)
                .output(tmp.resolve("with-cell-table").toString())
                .build());
    MediansResult fromRows =
        MediansJob.run(
            spark, MediansOptions.of(List.of(onRows), tmp.resolve("cells-on-rows").toString()));
    assertThat(fromTable.cells()).isEqualTo(fromRows.cells()).isEqualTo(400);
    Map<String, Double> withTable = VocabularyLoader.load(folder(fromTable)).medians();
    assertThat(withTable)
        .isEqualTo(VocabularyLoader.load(folder(fromRows)).medians())
        .isNotEqualTo(h5ad.medians());
  }

  /**
   * Symbols come from every input that keeps them: a Cell Ranger 2 file's gene_names (here SYM_0013
   * for ENSG00000000013, as the fixture's datasets hold them) become the name dictionary.
   */
  @Test
  void cellRangerGeneNamesBecomeTheNameDictionary(SparkSession spark) {
    Path h5 =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/field/cellranger2.h5");
    MediansResult r =
        MediansJob.run(
            spark, MediansOptions.of(List.of(h5.toString()), tmp.resolve("cr2").toString()));
    Vocabulary v = VocabularyLoader.load(folder(r));
    assertThat(v.symbolToId())
        .containsEntry("SYM_0013", "ENSG00000000013")
        .containsEntry("SYM_0006", "ENSG00000000006")
        .hasSize(v.medians().size());
  }

  @Test
  void genesListMinCellsAndBadLists(SparkSession spark) throws IOException {
    String atlas = Fixtures.atlas("csr_float32_gzip.h5ad").toString();
    JsonNode e = expected.get("csr_float32_gzip.h5ad");
    Path list =
        Files.writeString(
            tmp.resolve("genes.tsv"),
            "# id\tsymbol\nensg00000000013\tALPHA\nENSG00000000002\nENSG99999999999\tNOPE\n");
    MediansResult r =
        MediansJob.run(
            spark,
            MediansOptions.of(List.of(atlas), tmp.resolve("listed").toString())
                .withGenes(list.toString(), 1));
    Vocabulary v = VocabularyLoader.load(folder(r));
    assertThat(v.size()).isEqualTo(4); // <pad>, <mask>, two genes
    assertThat(v.symbolToId()).containsEntry("ALPHA", "ENSG00000000013").doesNotContainKey("NOPE");
    assertThat(r.summary())
        .extractingByKey("counts")
        .asString()
        .contains("genes_listed=3")
        .contains("genes_listed_not_detected=1");

    long most = 0;
    for (JsonNode g : e) {
      most = Math.max(most, g.get("cells").asLong());
    }
    final long threshold = most;
    long expectedGenes = 0;
    for (JsonNode g : e) {
      expectedGenes += g.get("cells").asLong() >= threshold ? 1 : 0;
    }
    MediansResult common =
        MediansJob.run(
            spark,
            MediansOptions.of(List.of(atlas), tmp.resolve("common").toString())
                .withGenes(null, threshold));
    assertThat(common.genesWritten()).isEqualTo(expectedGenes);

    Path twice = Files.writeString(tmp.resolve("twice.tsv"), "ENSG00000000013\nENSG00000000013\n");
    assertThatThrownBy(
            () ->
                MediansJob.run(
                    spark,
                    MediansOptions.of(List.of(atlas), tmp.resolve("x").toString())
                        .withGenes(twice.toString(), 1)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("lists ENSG00000000013 twice (line 2)");
    assertThatThrownBy(
            () ->
                MediansJob.run(
                    spark,
                    MediansOptions.of(List.of(atlas), tmp.resolve("y").toString())
                        .withGenes(null, 1_000_000)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("No gene")
        .hasMessageContaining("1000000 cell(s)");
    assertThat(tmp.resolve("x")).doesNotExist();
    assertThat(tmp.resolve("y")).doesNotExist();
  }
}
