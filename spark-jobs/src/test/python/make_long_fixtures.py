#!/usr/bin/env python3
"""Long-table fixtures (one row per stored count) from classify_atlas.h5ad, so the same cells can
be tokenized from a Parquet long table. Debian has no Parquet writer for Python, so the rows are
written as gzipped CSV; the tests turn them into Parquet with Spark's CSV reader:

    /usr/bin/python3 spark-jobs/src/test/python/make_long_fixtures.py

fixtures/long/classify_long.csv.gz    cell_id, gene_id, count, plus the cell's cell_type, donor
    and n_counts repeated on each of its rows; rows shuffled (a table has no cell order).
fixtures/long/classify_cells.csv.gz   cell_id, cell_type, donor, n_counts: the attributes as a
    second table.
"""
import gzip
import os

import anndata
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIX, "long")


def write(path, header, rows):
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write((",".join(header) + "\n").encode())
        for r in rows:
            f.write((",".join(str(v) for v in r) + "\n").encode())


def main():
    a = anndata.read_h5ad(os.path.join(FIX, "atlas", "classify_atlas.h5ad"))
    x = sp.coo_matrix(a.X)
    ids = list(a.var["ensembl_id"])
    cells = list(a.obs_names)
    types = list(a.obs["cell_type"].astype(str))
    donors = list(a.obs["donor"].astype(str))
    n_counts = a.obs["n_counts"].to_numpy()
    order = np.random.RandomState(7).permutation(x.nnz)
    rows = [(cells[x.row[k]], ids[x.col[k]], int(x.data[k]), types[x.row[k]], donors[x.row[k]], repr(float(n_counts[x.row[k]])))
            for k in order]
    os.makedirs(OUT, exist_ok=True)
    write(os.path.join(OUT, "classify_long.csv.gz"), ["cell_id", "gene_id", "count", "cell_type", "donor", "n_counts"], rows)
    write(os.path.join(OUT, "classify_cells.csv.gz"), ["cell_id", "cell_type", "donor", "n_counts"],
          [(cells[i], types[i], donors[i], repr(float(n_counts[i]))) for i in range(a.n_obs)])
    print("wrote", len(rows), "rows to", os.path.relpath(OUT))


if __name__ == "__main__":
    main()
