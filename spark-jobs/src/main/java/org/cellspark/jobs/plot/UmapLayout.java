package org.cellspark.jobs.plot;

import tagbio.umap.Umap;

/**
 * Cells laid out in two dimensions by UMAP (Tag.bio's umap-java, a port of umap-learn), as scanpy's
 * {@code sc.pp.neighbors} then {@code sc.tl.umap} do with their defaults: Euclidean distances, the
 * given neighbours, the given min_dist with spread 1, umap-learn's epochs for the number of cells.
 * One thread, so that a seed gives the same layout every time (umap-learn is deterministic with a
 * seed for the same reason).
 */
final class UmapLayout {
  private UmapLayout() {}

  /**
   * @param points one row per cell (the embeddings, or their principal components)
   * @return one (x, y) row per cell, in the same order
   */
  static float[][] of(float[][] points, int neighbors, double minDist, long seed) {
    Umap umap = new Umap();
    umap.setNumberComponents(2);
    umap.setNumberNearestNeighbours(neighbors);
    umap.setMinDist((float) minDist);
    umap.setSpread(1f);
    umap.setMetric("euclidean");
    umap.setSeed(seed);
    umap.setThreads(1);
    umap.setVerbose(false);
    return umap.fitTransform(points);
  }
}
