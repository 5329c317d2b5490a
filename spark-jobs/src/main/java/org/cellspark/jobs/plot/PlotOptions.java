package org.cellspark.jobs.plot;

import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;

/**
 * What `cellspark plot` was asked to draw.
 *
 * @param input an embed output folder (its cells/ table) or any Parquet table with {@code cell_id}
 *     and an {@code embedding} column (ML vector or array of numbers)
 * @param output the folder to write (PNG files, umap.csv, summary)
 * @param labels the columns to colour cells by, one plot each (upstream's labels_to_plot)
 * @param annotations a table of more columns by cell_id (CSV, TSV or Parquet, or an output folder
 *     with predictions/); null: none
 * @param styles what to draw: a UMAP, a heatmap, or both
 * @param filters cells kept before sampling (upstream's filter_data)
 * @param maxCells cells drawn: the N with the smallest seeded hash of cell_id; 0 = every cell, up
 *     to {@link #MAX_UMAP_CELLS} (upstream's max_ncells_to_plot, default 1,000)
 * @param seed the sample's and the UMAP's seed
 * @param neighbors the UMAP's nearest neighbours per cell (scanpy's n_neighbors)
 * @param minDist the UMAP's min_dist (scanpy's default 0.5; spread is 1)
 * @param overwrite replace an existing output folder
 */
public record PlotOptions(
    String input,
    String output,
    List<String> labels,
    String annotations,
    List<PlotStyle> styles,
    List<CellSelection.Filter> filters,
    int maxCells,
    long seed,
    int neighbors,
    double minDist,
    boolean overwrite) {
  /** Upstream's max_ncells_to_plot. */
  public static final int DEFAULT_MAX_CELLS = 1000;

  /**
   * The most cells a plot is drawn from. The sample's principal components come to the driver and
   * the UMAP runs there, in one thread so that a seed gives the same picture every time: about 12 s
   * for 10,000 cells, 33 s for 50,000 and 71 s for 100,000 end to end on a 2-core machine
   * (bench/plot), umap-learn's own time within a factor of 1.5 either way.
   */
  public static final int MAX_UMAP_CELLS = 100_000;

  /**
   * The most cells (rows) a heatmap shows: the first of the sample, which are themselves the sample
   * of that size with the same seed. A PNG has no more rows of pixels to give them.
   */
  public static final int MAX_HEATMAP_CELLS = 2_000;

  public static final long DEFAULT_SEED = CellSelection.DEFAULT_SEED;
  public static final int DEFAULT_NEIGHBORS = 15;
  public static final double DEFAULT_MIN_DIST = 0.5;

  public PlotOptions {
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark embed's output)");
    problems.requireValue(output, "--output is required");
    labels = labels == null ? List.of() : List.copyOf(labels);
    if (labels.isEmpty()) {
      problems.add(
          "--labels is required: the columns to colour the cells by, e.g. --labels cell_type (one"
              + " plot each)");
    }
    styles = styles == null || styles.isEmpty() ? List.of(PlotStyle.UMAP) : List.copyOf(styles);
    filters = filters == null ? List.of() : List.copyOf(filters);
    if (maxCells < 0 || maxCells > MAX_UMAP_CELLS) {
      problems.add(
          String.format(
              "--max-cells must be 0 (every cell) to %,d, got %,d: a plot is drawn on the driver"
                  + " from a sample (upstream draws 1,000 cells)",
              MAX_UMAP_CELLS, maxCells));
    }
    if (neighbors < 2 || neighbors > 200) {
      problems.add("--neighbors must be 2 to 200, got " + neighbors);
    }
    if (!(minDist >= 0 && minDist <= 1)) {
      problems.add("--min-dist must be in [0, 1] (the UMAP's spread is 1), got " + minDist);
    }
    problems.throwIfAny();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.input = input;
    b.output = output;
    b.labels = labels;
    b.annotations = annotations;
    b.styles = styles;
    b.filters = filters;
    b.maxCells = maxCells;
    b.seed = seed;
    b.neighbors = neighbors;
    b.minDist = minDist;
    b.overwrite = overwrite;
    return b;
  }

  /** The options by name; unset ones keep the command line's defaults. */
  public static final class Builder {
    private String input;
    private String output;
    private List<String> labels = List.of();
    private String annotations;
    private List<PlotStyle> styles = List.of(PlotStyle.UMAP);
    private List<CellSelection.Filter> filters = List.of();
    private int maxCells = DEFAULT_MAX_CELLS;
    private long seed = DEFAULT_SEED;
    private int neighbors = DEFAULT_NEIGHBORS;
    private double minDist = DEFAULT_MIN_DIST;
    private boolean overwrite;

    private Builder() {}

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder labels(List<String> v) {
      labels = v;
      return this;
    }

    public Builder annotations(String v) {
      annotations = v;
      return this;
    }

    public Builder styles(List<PlotStyle> v) {
      styles = v;
      return this;
    }

    public Builder filters(List<CellSelection.Filter> v) {
      filters = v;
      return this;
    }

    public Builder maxCells(int v) {
      maxCells = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder neighbors(int v) {
      neighbors = v;
      return this;
    }

    public Builder minDist(double v) {
      minDist = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public PlotOptions build() {
      return new PlotOptions(
          input,
          output,
          labels,
          annotations,
          styles,
          filters,
          maxCells,
          seed,
          neighbors,
          minDist,
          overwrite);
    }
  }
}
