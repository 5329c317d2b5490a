package org.cellspark.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.stat.correlation.Covariance;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class DemoJobTest {
  @TempDir Path tmp;

  /** Marker programmes the sample atlas was generated with (make_fixtures.py, MARKERS). */
  private static final Map<String, Set<String>> MARKERS =
      Map.of(
          "T cell", Set.of("CD3E", "CD3D", "CD2", "IL7R", "TRAC", "CD247", "LCK", "CD7"),
          "B cell", Set.of("MS4A1", "CD79A", "CD79B", "CD19", "PAX5", "BANK1", "CD22", "FCRL1"),
          "monocyte", Set.of("CD14", "LYZ", "FCN1", "S100A8", "S100A9", "CSF1R", "VCAN", "CD68"),
          "NK cell", Set.of("NKG7", "GNLY", "KLRD1", "KLRF1", "PRF1", "GZMB", "NCAM1", "FCGR3A"));

  @Test
  void runsThePipelineAndReportsWhatItsJobsWrote(SparkSession spark) throws java.io.IOException {
    // A workdir as users' folders are named: spaces, a character outside ASCII (every job of the
    // pipeline reads and writes under it).
    DemoResult r = DemoJob.run(spark, new DemoOptions(tmp.resolve("my demo ü").toString()));

    // Independent of the tokenizer: what the atlas says about its own cells.
    List<Row> atlas =
        spark
            .read()
            .format("h5ad")
            .option("obsColumns", "filter_pass,cell_type")
            .load(r.atlas())
            .select("obs.filter_pass", "obs.cell_type")
            .collectAsList();
    long passing = atlas.stream().filter(row -> row.getLong(0) == 1).count();
    assertThat(r.tokenize().cellsRead()).isEqualTo(atlas.size());
    assertThat(r.tokenize().cellsWritten()).isEqualTo(passing);
    assertThat(r.tokenize().droppedFilterPass()).isEqualTo(atlas.size() - passing);

    assertThat(r.byCellType())
        .extracting(DemoResult.CellTypeSummary::cellType)
        .containsExactlyElementsOf(MARKERS.keySet().stream().sorted().toList());
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      long expected =
          atlas.stream()
              .filter(row -> row.getLong(0) == 1 && t.cellType().equals(row.getString(1)))
              .count();
      assertThat(t.cells()).as(t.cellType()).isEqualTo(expected);
      assertThat(t.meanLength()).isBetween(100.0, 2048.0);
    }
    // A cell's top-ranked genes are its type's markers: that is what rank-value encoding is for.
    DemoResult.ExampleCell c = r.exampleCell();
    long markersOnTop = c.topGenes().stream().filter(MARKERS.get(c.cellType())::contains).count();
    assertThat(markersOnTop).as("markers among %s", c.topGenes()).isGreaterThanOrEqualTo(4);

    // The rest of the pipeline, checked against each job's own output files.
    assertThat(r.embed().cells()).isEqualTo(r.tokenize().cellsWritten());
    assertThat(r.embed().states()).isEqualTo(4);
    long monocytes =
        r.byCellType().stream()
            .filter(t -> t.cellType().equals("monocyte"))
            .findFirst()
            .orElseThrow()
            .cells();
    assertThat(r.perturb().cells()).isEqualTo(Math.min(DemoJob.SCREENED_CELLS, monocytes));
    List<Row> shifts = spark.read().parquet(r.perturb().output() + "/cell_shifts").collectAsList();
    assertThat(r.perturb().rows()).isEqualTo(shifts.size()).isGreaterThan(1_000);

    Path report = Path.of(r.report());
    String html = Files.readString(report);
    statisticsAsTheCsvHasThem(spark, r, html);
    qualityControlAsTheTokenizeSummaryHasIt(r, html);
    principalComponentsAsCommonsMathFindsThem(spark, r, html);

    JsonNodeHolder metrics =
        JsonNodeHolder.read(local(r.tokenize().output()).resolveSibling("classify/metrics.json"));
    assertThat(r.testAccuracy()).isEqualTo(metrics.testAccuracy());
    assertThat(html)
        .contains(String.format(Locale.ROOT, "test accuracy <b>%.3f</b>", metrics.testAccuracy()));
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      assertThat(html)
          .contains(
              String.format(Locale.ROOT, "<tr><td>%s</td><td>%,d</td>", t.cellType(), t.cells()));
    }
    for (String png :
        List.of("embeddings.png", "shifts.png", "confusion_matrix.png", "lengths.png")) {
      assertThat(html).contains("src=\"" + png + "\"");
      java.awt.image.BufferedImage image =
          javax.imageio.ImageIO.read(report.resolveSibling(png).toFile());
      assertThat(image).as(png).isNotNull();
      assertThat(image.getWidth()).as(png).isGreaterThan(300);
    }
    // Every link leads to an output that exists; every job's settings and time are listed.
    Matcher link = Pattern.compile("href=\"([^\"]+)\"").matcher(html);
    int links = 0;
    while (link.find()) {
      links++;
      assertThat(report.resolveSibling(link.group(1)).normalize()).as(link.group(1)).exists();
    }
    assertThat(links).isGreaterThanOrEqualTo(10);
    assertThat(r.runs())
        .extracting(DemoResult.JobRun::job)
        .containsExactly("tokenize", "embed", "perturb", "stats", "classify");
    // The numbers are readable: no Java exponent notation, no six-decimal zeros.
    assertThat(html).doesNotContainPattern("\\dE-\\d").doesNotContain("0.000001");
  }

  /**
   * The screen's tables hold the statistics CSV's values for the genes with the largest and
   * smallest shifts (read back from the report's number format, 3 significant digits).
   */
  private static void statisticsAsTheCsvHasThem(SparkSession spark, DemoResult r, String html) {
    List<Row> csv =
        spark
            .read()
            .option("header", true)
            .option("inferSchema", true)
            .csv(r.stats().output() + "/goal_state_shift.csv")
            .select(
                "Gene_name",
                "Shift_to_goal_end",
                "Goal_end_vs_random_pval",
                "Goal_end_FDR",
                "N_Detections",
                "Ensembl_ID")
            .collectAsList();
    assertThat(r.screen().genes()).isEqualTo(csv.size()).isGreaterThan(100);
    assertThat(r.screen().significant())
        .isEqualTo(csv.stream().filter(row -> row.getDouble(3) < 0.05).count());
    List<Row> byShift =
        csv.stream()
            .filter(row -> row.getInt(4) >= DemoJob.MIN_CELLS_SHOWN)
            .sorted(
                Comparator.comparingDouble((Row row) -> -row.getDouble(1))
                    .thenComparing(row -> row.getString(5)))
            .toList();
    List<Row> top = byShift.subList(0, DemoJob.GENES_SHOWN);
    assertThat(r.towardGoal())
        .extracting(DemoResult.GeneShift::gene)
        .containsExactlyElementsOf(top.stream().map(DemoJobTest::name).toList());
    for (Row row : top) {
      Matcher m =
          Pattern.compile(
                  "<tr><td>"
                      + Pattern.quote(name(row))
                      + "</td><td>([^<]*(?:<sup>[^<]*</sup>)?)</td><td>([^<]*(?:<sup>[^<]*</sup>)?)"
                      + "</td><td>([^<]*(?:<sup>[^<]*</sup>)?)</td><td>(\\d+)</td></tr>")
              .matcher(html);
      assertThat(m.find()).as(name(row)).isTrue();
      assertThat(shown(m.group(1))).isCloseTo(row.getDouble(1), withinPercentage(0.6));
      assertThat(shown(m.group(2))).isCloseTo(row.getDouble(2), withinPercentage(0.6));
      assertThat(shown(m.group(3))).isCloseTo(row.getDouble(3), withinPercentage(0.6));
      assertThat(Long.parseLong(m.group(4))).isEqualTo(row.getInt(4));
    }
  }

  /** The gene's symbol, or its Ensembl ID where the vocabulary has no symbol for it. */
  private static String name(Row row) {
    return row.isNullAt(0) ? row.getString(5) : row.getString(0);
  }

  /** A number as the report writes it: 0.123, −4.56, 1.48×10<sup>−6</sup>. */
  private static double shown(String s) {
    String t = s.replace('−', '-');
    int x = t.indexOf("×10<sup>");
    if (x < 0) {
      return Double.parseDouble(t);
    }
    double mantissa = Double.parseDouble(t.substring(0, x));
    int exponent = Integer.parseInt(t.substring(x + 8, t.indexOf("</sup>")));
    return mantissa * Math.pow(10, exponent);
  }

  private static void qualityControlAsTheTokenizeSummaryHasIt(DemoResult r, String html)
      throws IOException {
    JsonNode s =
        new ObjectMapper()
            .readTree(local(r.tokenize().output()).resolve("_cellspark.json").toFile());
    JsonNode c = s.get("counts");
    for (String[] entry :
        new String[][] {
          {"cells read", "cells_read"},
          {"cells kept", "cells_written"},
          {"dropped: filter_pass is 0", "dropped_filter_pass"},
          {"dropped: no gene of the vocabulary", "dropped_no_vocabulary_gene"},
          {"cut to the model&#39;s input size", "truncated_to_input_size"}
        }) {
      String label = entry[0].replace("&#39;", "'");
      assertThat(html)
          .as(label)
          .contains(
              String.format(
                  Locale.ROOT,
                  "<tr><td>%s</td><td>%,d</td></tr>",
                  label,
                  c.get(entry[1]).asLong()));
    }
    assertThat(html)
        .contains(
            String.format(
                Locale.ROOT,
                "%,d (%.1f%% of the vocabulary)",
                s.get("inputs").get(0).get("vocabulary_genes_matched").asLong(),
                100 * s.get("inputs").get(0).get("vocabulary_coverage").asDouble()));
  }

  /**
   * The report's variance shares equal the top eigenvalues of the embeddings' covariance matrix
   * over its trace, computed here with Commons Math.
   */
  private static void principalComponentsAsCommonsMathFindsThem(
      SparkSession spark, DemoResult r, String html) {
    List<Row> rows =
        spark.read().parquet(r.embed().output() + "/cells").select("embedding").collectAsList();
    double[][] x = new double[rows.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = ((org.apache.spark.ml.linalg.Vector) rows.get(i).get(0)).toArray();
    }
    RealMatrix cov = new Covariance(x).getCovarianceMatrix();
    double[] eigen = new EigenDecomposition(cov).getRealEigenvalues().clone();
    Arrays.sort(eigen);
    double trace = Arrays.stream(eigen).sum();
    for (int k = 0; k < 2; k++) {
      double share = eigen[eigen.length - 1 - k] / trace;
      Matcher m = Pattern.compile("<span id=\"pc" + (k + 1) + "\">([0-9.]+)%</span>").matcher(html);
      assertThat(m.find()).isTrue();
      assertThat(Double.parseDouble(m.group(1))).isCloseTo(100 * share, within(0.051));
    }
  }

  /** metrics.json's test split, read independently of the classify job's code. */
  private record JsonNodeHolder(com.fasterxml.jackson.databind.JsonNode json) {
    static JsonNodeHolder read(Path p) {
      try {
        return new JsonNodeHolder(
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(p.toFile()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    double testAccuracy() {
      return json.get("metrics").get("splits").get("test").get("accuracy").asDouble();
    }
  }

  /** A job's output folder (a Hadoop path string, as results give it) on this machine. */
  private static Path local(String location) {
    return Path.of(new org.apache.hadoop.fs.Path(location).toUri().getPath());
  }
}
