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
  void tokenizesTheBundledAtlasAndSummarisesIt(SparkSession spark) {
    DemoResult r = DemoJob.run(spark, new DemoOptions(tmp.toString()));

    // Independent of the tokenizer: what the atlas says about its own cells.
    List<Row> atlas =
        spark.read().format("h5ad").option("obsColumns", "filter_pass,cell_type").load(r.atlas())
            .select("obs.filter_pass", "obs.cell_type").collectAsList();
    long passing = atlas.stream().filter(row -> row.getLong(0) == 1).count();
    assertThat(r.tokenize().cellsRead()).isEqualTo(atlas.size());
    assertThat(r.tokenize().cellsWritten()).isEqualTo(passing);
    assertThat(r.tokenize().droppedFilterPass()).isEqualTo(atlas.size() - passing);

    assertThat(r.byCellType()).extracting(DemoResult.CellTypeSummary::cellType)
        .containsExactlyElementsOf(MARKERS.keySet().stream().sorted().toList());
    for (DemoResult.CellTypeSummary t : r.byCellType()) {
      long expected = atlas.stream().filter(row -> row.getLong(0) == 1 && t.cellType().equals(row.getString(1))).count();
      assertThat(t.cells()).as(t.cellType()).isEqualTo(expected);
      assertThat(t.meanLength()).isBetween(100.0, 2048.0);
    }
    // A cell's top-ranked genes are its type's markers: that is what rank-value encoding is for.
    DemoResult.ExampleCell c = r.exampleCell();
    long markersOnTop = c.topGenes().stream().filter(MARKERS.get(c.cellType())::contains).count();
    assertThat(markersOnTop).as("markers among %s", c.topGenes()).isGreaterThanOrEqualTo(4);
  }
}
