package org.cellspark.jobs.plot;

import java.awt.Color;

/**
 * The plots' colours: a qualitative palette for labels with values (as many distinct colours as
 * values), and two sequential ramps, viridis for numbers on a UMAP (scanpy's default) and magma for
 * a heatmap's cells (upstream's heatmap), interpolated between nine evenly spaced stops of
 * matplotlib's maps.
 */
final class Palettes {
  private Palettes() {}

  /** Cells whose label is missing. */
  static final Color MISSING = new Color(0xCCCCCC);

  /**
   * Twenty well-separated colours: ColorBrewer's Dark2 (the strong sibling of Set2, upstream's
   * palette, whose pastels fade on white at small point sizes), then matplotlib's tab10 without its
   * grey and pink, then four of tab20b; beyond twenty, hues a golden angle apart.
   */
  private static final int[] QUALITATIVE = {
    0x1B9E77, 0xD95F02, 0x7570B3, 0xE7298A, 0x66A61E, 0xE6AB02, 0xA6761D, 0x666666,
    0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0x17BECF, 0xBCBD22,
    0x393B79, 0xAD494A, 0x637939, 0x7B4173
  };

  private static final int[] VIRIDIS = {
    0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725
  };

  private static final int[] MAGMA = {
    0x000004, 0x1D1147, 0x51127C, 0x832681, 0xB73779, 0xE75263, 0xFC8961, 0xFEC488, 0xFCFDBF
  };

  /** The colour of the {@code i}-th value of a label (from 0). */
  static Color category(int i) {
    if (i < QUALITATIVE.length) {
      return new Color(QUALITATIVE[i]);
    }
    float hue = (float) (((i - QUALITATIVE.length) * 0.618033988749895) % 1.0);
    return Color.getHSBColor(hue, 0.7f, 0.8f);
  }

  /** Viridis at {@code t} in [0, 1]. */
  static Color viridis(double t) {
    return ramp(VIRIDIS, t);
  }

  /** Magma at {@code t} in [0, 1]. */
  static Color magma(double t) {
    return ramp(MAGMA, t);
  }

  private static Color ramp(int[] stops, double t) {
    double x = Math.max(0, Math.min(1, Double.isNaN(t) ? 0 : t)) * (stops.length - 1);
    int i = Math.min(stops.length - 2, (int) Math.floor(x));
    double f = x - i;
    Color a = new Color(stops[i]);
    Color b = new Color(stops[i + 1]);
    return new Color(
        (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
        (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
        (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
  }
}
