#!/usr/bin/env python3
"""What upstream's EmbExtractor.plot_embs runs (scanpy: sc.tl.pca, sc.pp.neighbors, sc.tl.umap),
restated with the libraries scanpy wraps: scikit-learn's PCA to 50 components (arpack, as
scanpy's call) and umap-learn's UMAP with scanpy's settings (15 neighbours, min_dist 0.5, spread
1, Euclidean), on the benchmark's embeddings; then both layouts, umap-learn's and the one
`cellspark plot` wrote (umap.csv), scored the same way on a shared subsample of at most 5,000
cells: scikit-learn's trustworthiness at 15 neighbours against the 50 components, and the share
of each cell's 15 nearest neighbours in the plane that have its cell type.

    /usr/bin/python3 bench/plot/umap_baseline.py WORK_DIR UMAP_CSV SEED
Prints "umap-learn cells=... seconds=... trust_umap_learn=... trust_cellspark=...
same_type_umap_learn=... same_type_cellspark=...". numba compiles umap-learn's kernels on first
use; a small layout first keeps that out of the timing.
"""
import csv
import sys
import time

import numpy as np
import umap
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors


def layout(x, seed):
    pcs = PCA(n_components=min(50, x.shape[1]), svd_solver="arpack", random_state=seed).fit_transform(x)
    xy = umap.UMAP(n_neighbors=15, min_dist=0.5, spread=1.0, metric="euclidean",
                   random_state=seed).fit_transform(pcs)
    return pcs, xy


def same_type(xy, y, k=15):
    idx = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy, return_distance=False)[:, 1:]
    return float(np.mean(y[idx] == y[:, None]))


def main():
    work, umap_csv, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    meta = np.fromfile(work + "/meta.i32", dtype="<i4")
    n, d = int(meta[0]), int(meta[1])
    x = np.fromfile(work + "/x.f32", dtype="<f4").reshape(n, d)
    y = np.fromfile(work + "/y.i32", dtype="<i4")
    layout(x[:500], seed)  # numba's compilation
    start = time.time()
    pcs, xy = layout(x, seed)
    seconds = time.time() - start
    ours = np.zeros((n, 2))
    with open(umap_csv) as f:
        for row in csv.DictReader(f):
            ours[int(row["cell_id"][4:])] = (float(row["umap_1"]), float(row["umap_2"]))
    pick = np.random.default_rng(seed).choice(n, size=min(n, 5000), replace=False)
    print("umap-learn cells=%d seconds=%.2f trust_umap_learn=%.4f trust_cellspark=%.4f"
          " same_type_umap_learn=%.4f same_type_cellspark=%.4f" % (
              n, seconds,
              trustworthiness(pcs[pick], xy[pick], n_neighbors=15),
              trustworthiness(pcs[pick], ours[pick], n_neighbors=15),
              same_type(xy[pick], y[pick]), same_type(ours[pick], y[pick])))


if __name__ == "__main__":
    main()
