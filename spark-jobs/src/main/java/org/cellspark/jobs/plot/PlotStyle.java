package org.cellspark.jobs.plot;

import java.util.Arrays;
import java.util.List;
import org.cellspark.error.Choices;

/** How cell embeddings are drawn (upstream EmbExtractor.plot_embs's plot_style). */
public enum PlotStyle {
  /** The cells laid out in two dimensions by UMAP, coloured by a label. */
  UMAP,
  /** Cells by embedding dimensions, each dimension scaled to [0, 1], a colour bar for the label. */
  HEATMAP;

  /** {@code umap}, {@code heatmap}, or both comma-separated, in the order given, once each. */
  public static List<PlotStyle> parseList(String spelling) {
    return Arrays.stream(spelling.split(","))
        .map(s -> Choices.parse("--style", s, values()))
        .distinct()
        .toList();
  }
}
