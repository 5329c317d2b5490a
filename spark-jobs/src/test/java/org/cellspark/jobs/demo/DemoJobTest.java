package org.cellspark.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    DemoResult r = DemoJob.run(spark, new DemoOptions(tmp.toString()));

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
    assertThat(r.perturb().rows()).isEqualTo(shifts.size()).isPositive();
    List<Row> stats =
        spark
            .read()
            .option("header", true)
            .csv(r.stats().output() + "/goal_state_shift.csv")
            .select("Gene_name", "Shift_to_goal_end")
            .collectAsList();
    assertThat(r.shifts()).hasSize(stats.size()).isNotEmpty();
    for (Row row : stats) {
      DemoResult.GeneShift g =
          r.shifts().stream()
              .filter(x -> x.gene().equals(row.getString(0)))
              .findFirst()
              .orElseThrow();
      assertThat(g.shiftToGoal())
          .as(g.gene())
          .isCloseTo(
              Double.parseDouble(row.getString(1)), org.assertj.core.data.Offset.offset(1e-12));
    }
    assertThat(r.shifts()).extracting(DemoResult.GeneShift::gene).isSubsetOf(DemoJob.GENES);

    Path report = Path.of(r.report());
    String html = java.nio.file.Files.readString(report);
    JsonNodeHolder metrics =
        JsonNodeHolder.read(
            Path.of(java.net.URI.create(r.tokenize().output()))
                .resolveSibling("classify/metrics.json"));
    double accuracy = metrics.testAccuracy();
    assertThat(r.testAccuracy()).isEqualTo(accuracy);
    assertThat(html)
        .contains(String.format(java.util.Locale.ROOT, "test accuracy <b>%.4f</b>", accuracy));
    for (DemoResult.GeneShift g : r.shifts()) {
      assertThat(html)
          .contains(
              String.format(
                  java.util.Locale.ROOT,
                  "<tr><td>%s</td><td>%.6f</td><td>%d</td></tr>",
                  g.gene(),
                  g.shiftToGoal(),
                  g.cells()));
    }
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      assertThat(html)
          .contains(
              String.format(
                  java.util.Locale.ROOT, "<tr><td>%s</td><td>%d</td>", t.cellType(), t.cells()));
    }
    for (String png : List.of("embeddings.png", "shifts.png", "confusion_matrix.png")) {
      assertThat(html).contains("src=\"" + png + "\"");
      java.awt.image.BufferedImage image =
          javax.imageio.ImageIO.read(report.resolveSibling(png).toFile());
      assertThat(image).as(png).isNotNull();
      assertThat(image.getWidth()).as(png).isGreaterThan(300);
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
}
