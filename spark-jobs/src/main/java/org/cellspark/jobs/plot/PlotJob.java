package org.cellspark.jobs.plot;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.feature.PCAModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.storage.StorageLevel;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.CsvField;
import org.cellspark.jobs.common.EmbeddingTable;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.PngBytes;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark plot`: cell embeddings drawn as upstream's EmbExtractor.plot_embs draws them, from a
 * sample of cells on the driver.
 *
 * <pre>
 * OUTPUT/umap_LABEL.png      the cells laid out by UMAP, coloured by LABEL (one per --labels)
 * OUTPUT/umap.csv            cell_id, the labels, umap_1, umap_2: every drawn cell, to redraw
 * OUTPUT/heatmap_LABEL.png   cells x dimensions, a colour bar for LABEL (--style heatmap)
 * OUTPUT/_cellspark.json     options, counts, the principal components kept, timings
 * </pre>
 *
 * As scanpy's pipeline upstream runs (sc.tl.pca, sc.pp.neighbors, sc.tl.umap), the sample's
 * embeddings are first reduced to their first 50 principal components (MLlib's PCA, over the sample
 * where the cells are); only those come to the driver for the UMAP, and full embeddings only for
 * the heatmap's at most 2,000 cells.
 */
public final class PlotJob {
  private static final Logger LOG = LoggerFactory.getLogger(PlotJob.class);

  /** Components the UMAP starts from (scanpy's n_pcs for its neighbours graph). */
  static final int COMPONENTS = 50;

  static final String CELL_ID = "cell_id";

  private PlotJob() {}

  public static PlotResult run(SparkSession spark, PlotOptions o) {
    long start = System.nanoTime();
    Dataset<Row> cells = EmbeddingTable.read(spark, o.input(), "--input");
    EmbeddingTable.requireColumn(cells, CELL_ID, "--input", o.input());
    if (o.annotations() != null) {
      cells = Annotations.join(spark, cells, o.annotations());
    }
    List<String> columns = Arrays.asList(cells.columns());
    for (String label : o.labels()) {
      if (!columns.contains(label)) {
        throw UserException.of(
            "--labels %s: %s has no column '%s' (columns: %s); embed with --labels %s to carry it"
                + " (embed carries every column of the tokens when not given --labels), or give"
                + " it with --annotations",
            label,
            o.annotations() == null ? o.input() : o.input() + " with --annotations",
            label,
            String.join(", ", columns),
            label);
      }
      CellLabel.requireColourable(label, cells.schema().apply(label).dataType(), o.input());
    }
    cells = CellSelection.filter(cells, o.filters());
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite(),
            spark.sparkContext().hadoopConfiguration(),
            o.annotations() == null ? List.of(o.input()) : List.of(o.input(), o.annotations()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark plot", out)) {
      // One pass for the count and the embeddings' shape: PCA needs every cell to have one, of one
      // size (embed's output always has; another table may not).
      Column size =
          when(
              col(EmbeddingTable.EMBEDDING).isNotNull(),
              functions.size(vector_to_array(col(EmbeddingTable.EMBEDDING), "float32")));
      Row shape =
          cells
              .agg(
                  count(lit(1)),
                  count(when(col(EmbeddingTable.EMBEDDING).isNull(), 1)),
                  min(size),
                  max(size))
              .first();
      long available = shape.getLong(0);
      if (available == 0) {
        throw UserException.of(
            "--input %s has no cells%s: nothing to plot",
            o.input(), o.filters().isEmpty() ? "" : " that pass --filter " + o.filters());
      }
      if (shape.getLong(1) > 0) {
        throw UserException.of(
            "--input %s: %,d of its %,d cells have no embedding (null); pass --filter to leave them"
                + " out, or embed them again",
            o.input(), shape.getLong(1), available);
      }
      if (shape.getInt(2) != shape.getInt(3)) {
        throw UserException.of(
            "--input %s holds embeddings of %d to %d dimensions; one model's embeddings have one"
                + " size: plot one embed output at a time",
            o.input(), shape.getInt(2), shape.getInt(3));
      }
      if (o.maxCells() == 0 && available > PlotOptions.MAX_UMAP_CELLS) {
        throw UserException.of(
            "--max-cells 0 would plot all %,d cells of %s; a plot is drawn on the driver from at"
                + " most %,d: pass --max-cells N (upstream draws 1,000)",
            available, o.input(), PlotOptions.MAX_UMAP_CELLS);
      }
      List<Column> kept = new ArrayList<>();
      kept.add(col(CELL_ID));
      o.labels().forEach(l -> kept.add(col(l)));
      kept.add(col(EmbeddingTable.EMBEDDING));
      // Every cell (--max-cells 0) still goes in hash order, so that the first 2,000 (the
      // heatmap's) are the 2,000-cell sample with the same seed, as for any other sample.
      long drawn = o.maxCells() == 0 ? available : o.maxCells();
      Dataset<Row> sample =
          CellSelection.sample(cells, drawn, o.seed())
              .select(kept.toArray(new Column[0]))
              .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        return draw(spark, o, sample, available, shape.getInt(2), out, job, start);
      } finally {
        sample.unpersist();
      }
    }
  }

  /**
   * The drawn cells on the driver, in the sample's order: cell_id, the labels, and the principal
   * components (last column).
   */
  private record Drawn(List<Row> rows, Map<String, CellLabel> labels, PCAModel pca) {
    int size() {
      return rows.size();
    }

    Vector components(int cell) {
      Row r = rows.get(cell);
      return r.getAs(r.size() - 1);
    }
  }

  private static PlotResult draw(
      SparkSession spark,
      PlotOptions o,
      Dataset<Row> sample,
      long available,
      int dimensions,
      StagedOutput out,
      JobScope job,
      long start) {
    spark.sparkContext().setJobDescription("cellspark plot: principal components of the sample");
    PCAModel pca =
        new PCA()
            .setInputCol(EmbeddingTable.EMBEDDING)
            .setOutputCol("pc")
            .setK(Math.min(COMPONENTS, dimensions))
            .fit(sample);
    List<Column> columns = new ArrayList<>();
    columns.add(col(CELL_ID));
    o.labels().forEach(l -> columns.add(col(l)));
    columns.add(col("pc"));
    List<Row> rows = pca.transform(sample).select(columns.toArray(new Column[0])).collectAsList();
    Drawn drawn = new Drawn(rows, labels(sample, o.labels(), rows), pca);
    out.createStaging();
    List<String> files = new ArrayList<>();
    Map<String, Object> umapSummary =
        o.styles().contains(PlotStyle.UMAP) ? drawUmap(spark, o, drawn, out, files) : null;
    int heatmapCells =
        o.styles().contains(PlotStyle.HEATMAP)
            ? drawHeatmaps(spark, o, sample, drawn, out, files)
            : 0;
    int n = drawn.size();
    Map<String, CellLabel> labels = drawn.labels();
    double[] explained = pca.explainedVariance().toArray();
    double seconds = seconds(start);
    job.commit(
        out,
        summary(
            o,
            available,
            n,
            heatmapCells,
            dimensions,
            explained,
            labels,
            umapSummary,
            files,
            seconds));
    LOG.info(
        String.format(
            Locale.ROOT,
            "plot: %,d of %,d cells drawn (%s) in %.1f s to %s",
            n,
            available,
            String.join(", ", files),
            seconds,
            out.targetLocation()));
    return new PlotResult(out.targetLocation(), n, heatmapCells, List.copyOf(files), seconds);
  }

  /** umap.csv and a UMAP per label; the summary's umap entry. */
  private static Map<String, Object> drawUmap(
      SparkSession spark, PlotOptions o, Drawn drawn, StagedOutput out, List<String> files) {
    int n = drawn.size();
    if (n <= o.neighbors()) {
      throw UserException.of(
          "A UMAP of %d cells with --neighbors %d: it needs more cells than neighbours; plot more"
              + " cells (--max-cells, --filter) or lower --neighbors",
          n, o.neighbors());
    }
    spark.sparkContext().setJobDescription("cellspark plot: UMAP on the driver");
    long t = System.nanoTime();
    float[][] points = new float[n][];
    for (int i = 0; i < n; i++) {
      double[] pc = drawn.components(i).toArray();
      points[i] = new float[pc.length];
      for (int j = 0; j < pc.length; j++) {
        points[i][j] = (float) pc[j];
      }
    }
    float[][] xy = UmapLayout.of(points, o.neighbors(), o.minDist(), o.seed());
    out.writeText("umap.csv", umapCsv(drawn.rows(), o.labels(), xy));
    files.add("umap.csv");
    for (String l : o.labels()) {
      String name = "umap_" + fileSafe(l) + ".png";
      out.writeBytes(name, PngBytes.of(s -> UmapChart.write(xy, drawn.labels().get(l), l, s)));
      files.add(name);
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("neighbors", o.neighbors());
    summary.put("min_dist", o.minDist());
    summary.put("seconds", seconds(t));
    return summary;
  }

  /**
   * A heatmap per label of the sample's first cells (at most {@link
   * PlotOptions#MAX_HEATMAP_CELLS}), whose full embeddings come to the driver; returns how many.
   */
  private static int drawHeatmaps(
      SparkSession spark,
      PlotOptions o,
      Dataset<Row> sample,
      Drawn drawn,
      StagedOutput out,
      List<String> files) {
    int cells = Math.min(drawn.size(), PlotOptions.MAX_HEATMAP_CELLS);
    spark.sparkContext().setJobDescription("cellspark plot: the heatmap's cells");
    List<Row> full =
        sample.select(col(CELL_ID), col(EmbeddingTable.EMBEDDING)).limit(cells).collectAsList();
    double[][] values = new double[cells][];
    double[] score = new double[cells];
    for (int i = 0; i < cells; i++) {
      if (!String.valueOf(full.get(i).get(0)).equals(String.valueOf(drawn.rows().get(i).get(0)))) {
        throw new Bug("the heatmap's cells came back in another order than the sample's");
      }
      values[i] = full.get(i).<Vector>getAs(1).toArray();
      score[i] = drawn.components(i).apply(0);
    }
    double[][] scaled = HeatmapLayout.scaleColumns(values);
    int[] colOrder = HeatmapLayout.columnOrder(firstComponent(drawn.pca().pc()));
    int[] firstRows = new int[cells];
    Arrays.setAll(firstRows, i -> i);
    for (String l : o.labels()) {
      CellLabel label = drawn.labels().get(l).rows(firstRows);
      int[] rowOrder = HeatmapLayout.rowOrder(label, score);
      double[][] ordered = new double[cells][colOrder.length];
      for (int i = 0; i < cells; i++) {
        for (int j = 0; j < colOrder.length; j++) {
          ordered[i][j] = scaled[rowOrder[i]][colOrder[j]];
        }
      }
      String name = "heatmap_" + fileSafe(l) + ".png";
      CellLabel orderedLabel = label.rows(rowOrder);
      out.writeBytes(name, PngBytes.of(s -> EmbeddingHeatmap.write(ordered, orderedLabel, l, s)));
      files.add(name);
    }
    return cells;
  }

  /** Each label's values for the collected rows (columns 1..labels of each row). */
  private static Map<String, CellLabel> labels(
      Dataset<Row> sample, List<String> names, List<Row> rows) {
    Map<String, CellLabel> out = new LinkedHashMap<>();
    for (int l = 0; l < names.size(); l++) {
      DataType type = sample.schema().apply(names.get(l)).dataType();
      List<Object> values = new ArrayList<>(rows.size());
      for (Row r : rows) {
        values.add(r.get(1 + l));
      }
      out.put(names.get(l), CellLabel.of(names.get(l), type, values));
    }
    return out;
  }

  static String umapCsv(List<Row> rows, List<String> labels, float[][] xy) {
    StringBuilder csv = new StringBuilder(CELL_ID);
    labels.forEach(l -> csv.append(',').append(CsvField.of(l)));
    csv.append(",umap_1,umap_2\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      csv.append(CsvField.of(String.valueOf(r.get(0))));
      for (int l = 0; l < labels.size(); l++) {
        Object v = r.get(1 + l);
        csv.append(',').append(v == null ? "" : CsvField.of(v.toString()));
      }
      csv.append(String.format(Locale.ROOT, ",%.5f,%.5f%n", xy[i][0], xy[i][1]));
    }
    return csv.toString();
  }

  private static double[] firstComponent(Matrix pc) {
    double[] loading = new double[pc.numRows()];
    for (int i = 0; i < loading.length; i++) {
      loading[i] = pc.apply(i, 0);
    }
    return loading;
  }

  /** A label as part of a file name: letters, digits, '-', '_' and '.' kept, others '_'. */
  static String fileSafe(String label) {
    return label.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static Map<String, Object> labelSummary(CellLabel label) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (label.numeric()) {
      double[] range = LabelLegends.finiteRange(label.number());
      m.put("kind", "number");
      m.put("min", range[0]);
      m.put("max", range[1]);
    } else {
      m.put("kind", "categories");
      m.put("values", label.categories().size());
    }
    return m;
  }

  private static JobSummary summary(
      PlotOptions o,
      long available,
      int cells,
      int heatmapCells,
      int dimensions,
      double[] explained,
      Map<String, CellLabel> labels,
      Map<String, Object> umap,
      List<String> files,
      double seconds) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("input", o.input());
    options.put("labels", o.labels());
    options.put("annotations", o.annotations());
    options.put("styles", o.styles().stream().map(s -> s.name().toLowerCase(Locale.ROOT)).toList());
    options.put("filters", o.filters().stream().map(Object::toString).toList());
    options.put("max_cells", o.maxCells());
    options.put("seed", o.seed());
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("cells_available", available);
    counts.put("cells_drawn", cells);
    counts.put("heatmap_cells", heatmapCells);
    Map<String, Object> pca = new LinkedHashMap<>();
    pca.put("dimensions", dimensions);
    pca.put("components", explained.length);
    pca.put("explained_variance", Math.round(Arrays.stream(explained).sum() * 1e4) / 1e4);
    Map<String, Object> perLabel = new LinkedHashMap<>();
    labels.forEach((name, label) -> perLabel.put(name, labelSummary(label)));
    JobSummary s =
        new JobSummary("plot")
            .put("options", options)
            .put("counts", counts)
            .put("pca", pca)
            .put("labels", perLabel);
    if (umap != null) {
      s.put("umap", umap);
    }
    return s.put("files", files).put("timings", Map.of("total_seconds", seconds));
  }

  private static double seconds(long since) {
    return Math.round((System.nanoTime() - since) / 1e6) / 1000.0;
  }
}
