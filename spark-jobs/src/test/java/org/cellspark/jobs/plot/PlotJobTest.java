package org.cellspark.jobs.plot;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `cellspark plot` on 600 synthetic cells of three types, each a cloud of unit spread around its
 * own centre in 64 dimensions, the centres 12 apart: types this far apart must stay apart in any
 * correct UMAP, so the layout is checked by what it must keep (each cell's nearest neighbours in
 * the plane are of its own type) rather than by coordinates, which only UMAP itself could supply.
 */
@ExtendWith(SharedSpark.class)
class PlotJobTest {
  private static final String[] TYPES = {"A", "B", "C"};
  private static final int[] SIZES = {300, 200, 100};
  private static final int DIMENSIONS = 64;

  @TempDir static Path shared;
  @TempDir Path tmp;
  private static String cells;
  private static final Map<String, String> TYPE_OF = new HashMap<>();

  @BeforeAll
  static void writeCells(SparkSession spark) {
    Random random = new Random(3);
    List<Row> rows = new ArrayList<>();
    for (int t = 0; t < TYPES.length; t++) {
      for (int i = 0; i < SIZES[t]; i++) {
        float[] e = new float[DIMENSIONS];
        for (int j = 0; j < DIMENSIONS; j++) {
          e[j] = (float) (random.nextGaussian() + (j == t ? 12 : 0));
        }
        List<Float> embedding = new ArrayList<>();
        for (float v : e) {
          embedding.add(v);
        }
        String id = TYPES[t] + "_" + i;
        TYPE_OF.put(id, TYPES[t]);
        rows.add(
            RowFactory.create(
                id,
                TYPES[t],
                100.0 * t + random.nextDouble(),
                i % 7 == 0 ? null : "batch" + (i % 2),
                List.of("x"),
                embedding));
      }
    }
    StructType schema =
        new StructType()
            .add("cell_id", DataTypes.StringType)
            .add("cell_type", DataTypes.StringType)
            .add("depth", DataTypes.DoubleType)
            .add("batch", DataTypes.StringType, true)
            .add("tags", DataTypes.createArrayType(DataTypes.StringType))
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType));
    cells = shared.resolve("cells").toString();
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(cells);
  }

  private static PlotOptions.Builder options(String output) {
    return PlotOptions.builder()
        .input(cells)
        .output(output)
        .labels(List.of("cell_type", "depth", "batch"))
        .styles(List.of(PlotStyle.UMAP, PlotStyle.HEATMAP))
        .maxCells(450)
        .seed(7);
  }

  @Test
  void theSampleIsLaidOutWithItsTypesApartAndDrawn(SparkSession spark) throws IOException {
    PlotResult r = PlotJob.run(spark, options(tmp.resolve("plot").toString()).build());
    Path out = tmp.resolve("plot");

    // The sample: the 450 cells with the smallest hash of cell_id under seed 7.
    Set<String> expected =
        spark
            .read()
            .parquet(cells)
            .orderBy(xxhash64(col("cell_id"), lit(7L)), col("cell_id"))
            .limit(450)
            .select("cell_id")
            .collectAsList()
            .stream()
            .map(row -> row.getString(0))
            .collect(Collectors.toSet());
    List<String[]> csv = csv(out.resolve("umap.csv"));
    assertThat(csv.get(0))
        .containsExactly("cell_id", "cell_type", "depth", "batch", "umap_1", "umap_2");
    List<String[]> points = csv.subList(1, csv.size());
    assertThat(points).hasSize(450);
    assertThat(points.stream().map(p -> p[0]).collect(Collectors.toSet())).isEqualTo(expected);
    for (String[] p : points) {
      assertThat(p[1]).isEqualTo(TYPE_OF.get(p[0]));
    }
    assertThat(r.cells()).isEqualTo(450);
    assertThat(r.heatmapCells()).isEqualTo(450);

    // Each cell's ten nearest neighbours in the plane are of its own type.
    int same = 0;
    int total = 0;
    for (String[] p : points) {
      double x = Double.parseDouble(p[4]);
      double y = Double.parseDouble(p[5]);
      List<String[]> nearest =
          points.stream()
              .filter(q -> q != p)
              .sorted(
                  java.util.Comparator.comparingDouble(
                      q -> Math.hypot(Double.parseDouble(q[4]) - x, Double.parseDouble(q[5]) - y)))
              .limit(10)
              .toList();
      for (String[] q : nearest) {
        same += q[1].equals(p[1]) ? 1 : 0;
        total++;
      }
    }
    assertThat(same / (double) total).isGreaterThan(0.98);

    // A plot per label and style, each showing what its label says.
    for (String name :
        List.of(
            "umap_cell_type.png",
            "umap_depth.png",
            "umap_batch.png",
            "heatmap_cell_type.png",
            "heatmap_depth.png",
            "heatmap_batch.png")) {
      assertThat(out.resolve(name)).exists();
    }
    BufferedImage types = ImageIO.read(out.resolve("umap_cell_type.png").toFile());
    assertThat(types.getWidth()).isEqualTo(UmapChart.WIDTH);
    assertThat(types.getHeight()).isEqualTo(UmapChart.HEIGHT);
    for (int t = 0; t < TYPES.length; t++) {
      assertThat(pixelsOf(types, Palettes.category(t).getRGB()))
          .as("points of type %s", TYPES[t])
          .isGreaterThan(50);
    }
    BufferedImage batches = ImageIO.read(out.resolve("umap_batch.png").toFile());
    assertThat(pixelsOf(batches, Palettes.MISSING.getRGB()))
        .as("cells without a batch")
        .isPositive();
    BufferedImage heatmap = ImageIO.read(out.resolve("heatmap_cell_type.png").toFile());
    assertThat(heatmap.getWidth()).isEqualTo(EmbeddingHeatmap.WIDTH);
    assertThat(heatmap.getHeight()).isEqualTo(EmbeddingHeatmap.HEIGHT);

    JsonNode summary = new ObjectMapper().readTree(out.resolve("_cellspark.json").toFile());
    assertThat(summary.at("/counts/cells_available").asLong()).isEqualTo(600);
    assertThat(summary.at("/counts/cells_drawn").asInt()).isEqualTo(450);
    assertThat(summary.at("/pca/dimensions").asInt()).isEqualTo(DIMENSIONS);
    assertThat(summary.at("/pca/components").asInt()).isEqualTo(PlotJob.COMPONENTS);
    assertThat(summary.at("/labels/cell_type/values").asInt()).isEqualTo(3);
    assertThat(summary.at("/labels/depth/kind").asText()).isEqualTo("number");
    assertThat(summary.at("/labels/batch/values").asInt()).isEqualTo(3); // two and "(missing)"

    // The same options draw the same layout.
    PlotJob.run(spark, options(tmp.resolve("again").toString()).build());
    assertThat(Files.readString(tmp.resolve("again/umap.csv")))
        .isEqualTo(Files.readString(out.resolve("umap.csv")));
  }

  @Test
  void aFilterAndEveryCellReachTheHeatmapAlone(SparkSession spark) throws IOException {
    PlotResult r =
        PlotJob.run(
            spark,
            options(tmp.resolve("c").toString())
                .labels(List.of("depth"))
                .styles(List.of(PlotStyle.HEATMAP))
                .filters(List.of(CellSelection.Filter.parse("cell_type=C")))
                .maxCells(0)
                .build());
    assertThat(r.cells()).isEqualTo(100);
    assertThat(r.files()).containsExactly("heatmap_depth.png");
    assertThat(tmp.resolve("c/umap.csv")).doesNotExist();
  }

  /**
   * Labels kept outside the embeddings: scanpy's adata.obs.to_csv() (the index first under an empty
   * header; Leiden clusters as whole numbers, a score as decimals; some cells not listed), and a
   * classify apply output's predictions/.
   */
  @Test
  void annotationsComeFromScanpysCsvOrAPredictionsFolder(SparkSession spark) throws IOException {
    StringBuilder obs = new StringBuilder(",leiden,score\n");
    Map<String, String> leiden = new HashMap<>();
    int i = 0;
    for (String id : TYPE_OF.keySet().stream().sorted().toList()) {
      if (i++ % 10 == 9) {
        continue; // not annotated
      }
      String cluster = Integer.toString(i % 12);
      leiden.put(id, cluster);
      obs.append(id).append(',').append(cluster).append(',').append(i / 600.0).append('\n');
    }
    Path csv = tmp.resolve("obs.csv");
    Files.writeString(csv, obs);
    PlotJob.run(
        spark,
        options(tmp.resolve("a").toString())
            .labels(List.of("leiden", "score"))
            .annotations(csv.toString())
            .styles(List.of(PlotStyle.UMAP))
            .maxCells(100)
            .build());
    List<String[]> points = csv(tmp.resolve("a/umap.csv"));
    assertThat(points.get(0)).containsExactly("cell_id", "leiden", "score", "umap_1", "umap_2");
    for (String[] p : points.subList(1, points.size())) {
      assertThat(p[1]).isEqualTo(leiden.getOrDefault(p[0], ""));
    }
    JsonNode summary = new ObjectMapper().readTree(tmp.resolve("a/_cellspark.json").toFile());
    assertThat(summary.at("/labels/leiden/kind").asText()).isEqualTo("categories");
    assertThat(summary.at("/labels/score/kind").asText()).isEqualTo("number");

    Path applied = tmp.resolve("applied");
    spark
        .read()
        .parquet(cells)
        .select(col("cell_id"), col("cell_type").as("predicted"))
        .write()
        .parquet(applied.resolve("predictions").toString());
    PlotResult r =
        PlotJob.run(
            spark,
            options(tmp.resolve("b").toString())
                .labels(List.of("predicted"))
                .annotations(applied.toString())
                .styles(List.of(PlotStyle.UMAP))
                .maxCells(100)
                .build());
    assertThat(r.files()).contains("umap_predicted.png");

    Path twice = tmp.resolve("twice.csv");
    Files.writeString(twice, "cell_id,leiden\nA_1,1\nA_1,2\nB_1,3\n");
    assertThatThrownBy(
            () ->
                PlotJob.run(
                    spark,
                    options(tmp.resolve("c").toString())
                        .labels(List.of("leiden"))
                        .annotations(twice.toString())
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("lists 1 cell IDs more than once (A_1: 2 times)");
  }

  @Test
  void badRequestsAreRefusedWithWhatToDo(SparkSession spark) {
    assertThatThrownBy(
            () ->
                PlotJob.run(
                    spark, options(tmp.resolve("x").toString()).labels(List.of("disease")).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no column 'disease'")
        .hasMessageContaining("cell_type, depth, batch, tags")
        .hasMessageContaining("--labels disease");
    assertThatThrownBy(
            () ->
                PlotJob.run(
                    spark, options(tmp.resolve("x").toString()).labels(List.of("tags")).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--labels tags: the column is array<string>");
    assertThatThrownBy(
            () ->
                PlotJob.run(
                    spark,
                    options(tmp.resolve("x").toString())
                        .filters(List.of(CellSelection.Filter.parse("cell_type=D")))
                        .build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no cells that pass --filter [cell_type=D]");
    assertThatThrownBy(
            () -> PlotJob.run(spark, options(tmp.resolve("x").toString()).maxCells(12).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("A UMAP of 12 cells with --neighbors 15");
    String holes =
        withEmbedding(
            spark,
            "holes",
            when(col("cell_id").isin("A_1", "B_2"), lit(null).cast("array<float>"))
                .otherwise(col("embedding")));
    assertThatThrownBy(
            () -> PlotJob.run(spark, options(tmp.resolve("x").toString()).input(holes).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("2 of its 600 cells have no embedding (null)");
    String mixed =
        withEmbedding(
            spark,
            "mixed",
            when(col("cell_id").equalTo("C_3"), slice(col("embedding"), 1, 32))
                .otherwise(col("embedding")));
    assertThatThrownBy(
            () -> PlotJob.run(spark, options(tmp.resolve("x").toString()).input(mixed).build()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("holds embeddings of 32 to 64 dimensions");
    assertThatThrownBy(() -> options("o").labels(List.of()).maxCells(160_000).build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--labels is required")
        .hasMessageContaining("--max-cells must be 0 (every cell) to 100,000, got 160,000");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  /** The cells with their embedding column replaced, as a table of their own. */
  private String withEmbedding(SparkSession spark, String name, Column embedding) {
    String table = tmp.resolve(name).toString();
    spark.read().parquet(cells).withColumn("embedding", embedding).write().parquet(table);
    return table;
  }

  private static int pixelsOf(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        n += (image.getRGB(x, y) & 0xFFFFFF) == (rgb & 0xFFFFFF) ? 1 : 0;
      }
    }
    return n;
  }

  private static List<String[]> csv(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(l -> l.split(",", -1)).toList();
  }
}
