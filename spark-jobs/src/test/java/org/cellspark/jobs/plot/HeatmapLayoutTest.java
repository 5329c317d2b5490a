package org.cellspark.jobs.plot;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/** The heatmap's scaling, order and image, on hand-worked cells. */
class HeatmapLayoutTest {
  @Test
  void eachDimensionIsScaledToItsOwnRange() {
    double[][] scaled =
        HeatmapLayout.scaleColumns(new double[][] {{1, 5, 2}, {3, -5, 2}, {2, 0, 2}});
    assertThat(scaled[0]).containsExactly(0, 1, 0);
    assertThat(scaled[1]).containsExactly(1, 0, 0);
    assertThat(scaled[2]).containsExactly(0.5, 0.5, 0);
  }

  @Test
  void rowsGoByLabelThenScoreAndColumnsByLoading() {
    CellLabel types =
        CellLabel.of("cell_type", DataTypes.StringType, Arrays.asList("T", "B", null, "T", "B"));
    assertThat(types.categories()).containsExactly("B", "T", CellLabel.MISSING);
    // B cells (rows 1 and 4) by score, then T cells (0 and 3), then the one without a type.
    assertThat(HeatmapLayout.rowOrder(types, new double[] {0.3, 0.9, -1, 0.1, 0.2}))
        .containsExactly(4, 1, 3, 0, 2);
    CellLabel depth = CellLabel.of("depth", DataTypes.IntegerType, Arrays.asList(20, null, 10, 20));
    assertThat(depth.number()).containsExactly(20, Double.NaN, 10, 20);
    assertThat(HeatmapLayout.rowOrder(depth, new double[] {5, 0, 0, 1}))
        .containsExactly(2, 3, 0, 1);
    assertThat(HeatmapLayout.columnOrder(new double[] {0.5, -0.2, 0.5, 0.1}))
        .containsExactly(1, 3, 0, 2);
  }

  @Test
  void categoriesComeInNaturalOrder() {
    CellLabel clusters =
        CellLabel.of(
            "leiden",
            DataTypes.StringType,
            List.of("c10", "c2", "c1", "b", "c02", "c2a", "c2", "C3"));
    assertThat(clusters.categories()).containsExactly("C3", "b", "c1", "c02", "c2", "c2a", "c10");
    assertThat(clusters.category()).containsExactly(6, 4, 2, 1, 3, 5, 4, 0);
    CellLabel flags = CellLabel.of("is_doublet", DataTypes.BooleanType, List.of(true, false));
    assertThat(flags.categories()).containsExactly("false", "true");
  }

  @Test
  void aLabelWithAValuePerCellIsRefused() {
    List<Object> ids = new java.util.ArrayList<>();
    for (int i = 0; i <= CellLabel.MAX_CATEGORIES; i++) {
      ids.add("cell" + i);
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> CellLabel.of("cell_id", DataTypes.StringType, ids))
        .isInstanceOf(org.cellspark.error.UserException.class)
        .hasMessageContaining("--labels cell_id has 1,001 values among the drawn cells");
  }

  @Test
  void theImageHoldsTheLabelBarThenEveryValue() {
    CellLabel label = CellLabel.of("cell_type", DataTypes.StringType, List.of("B", "T"));
    double[][] values = {{0, 1}, {0.5, 0.25}};
    BufferedImage image = EmbeddingHeatmap.image(values, label);
    int m = EmbeddingHeatmap.columnsPerDimension(2);
    assertThat(m).isEqualTo(240);
    assertThat(image.getWidth()).isEqualTo(EmbeddingHeatmap.BAR + EmbeddingHeatmap.GAP + 2 * m);
    assertThat(image.getHeight()).isEqualTo(2);
    assertThat(image.getRGB(0, 0)).isEqualTo(Palettes.category(0).getRGB());
    assertThat(image.getRGB(EmbeddingHeatmap.BAR - 1, 1)).isEqualTo(Palettes.category(1).getRGB());
    int matrix = EmbeddingHeatmap.BAR + EmbeddingHeatmap.GAP;
    assertThat(image.getRGB(matrix, 0)).isEqualTo(Palettes.magma(0).getRGB());
    assertThat(image.getRGB(matrix + m, 0)).isEqualTo(Palettes.magma(1).getRGB());
    assertThat(image.getRGB(matrix + 2 * m - 1, 1)).isEqualTo(Palettes.magma(0.25).getRGB());
    // matplotlib's magma at its ends and middle.
    assertThat(Palettes.magma(0).getRGB() & 0xFFFFFF).isEqualTo(0x000004);
    assertThat(Palettes.magma(0.5).getRGB() & 0xFFFFFF).isEqualTo(0xB73779);
    assertThat(Palettes.magma(1).getRGB() & 0xFFFFFF).isEqualTo(0xFCFDBF);
  }
}
