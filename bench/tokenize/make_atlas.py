#!/usr/bin/env python3
"""Writes a synthetic CSR .h5ad for the tokenize benchmark, streaming (bounded memory).

    /usr/bin/python3 bench/tokenize/make_atlas.py OUT.h5ad --cells 200000 [--genes-per-cell 2000]

Layout as anndata >= 0.8 writes it (X as csr_matrix with gzip-compressed, chunked data/indices,
obs/var dataframes), so the benchmark reads what users have. Genes: the real Geneformer V1
vocabulary's IDs (read from the bundled token dictionary) plus 8,000 features outside it, like a
CELLxGENE atlas (~33k features). Counts: per-cell depth log-normal; genes drawn from a heavy-tailed
popularity; values 1 + geometric, so most are 1-3 with a long tail - the shape of UMI counts.
Needs numpy and h5py (Debian: python3-h5py); no anndata.
"""
import argparse
import os
import pickle

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
V1_TOKENS = os.path.join(ROOT, "model-udf/src/main/resources/org/cellspark/vocab/geneformer-v1/token_dictionary.pkl")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--cells", type=int, default=200_000)
    ap.add_argument("--genes-per-cell", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    with open(V1_TOKENS, "rb") as f:
        vocab = sorted(k for k in pickle.load(f) if k.startswith("ENSG"))
    ids = vocab + ["ENSG8%010d" % i for i in range(8000)]
    rng = np.random.RandomState(a.seed)
    rng.shuffle(ids)
    n_genes = len(ids)
    popularity = rng.pareto(1.2, n_genes) + 0.05
    cdf = np.cumsum(popularity / popularity.sum())

    str_dt = h5py.string_dtype()
    tmp = a.out + ".partial"
    with h5py.File(tmp, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        X = f.create_group("X")
        X.attrs["encoding-type"] = "csr_matrix"
        X.attrs["encoding-version"] = "0.1.0"
        X.attrs["shape"] = np.array([a.cells, n_genes])
        chunk = 1 << 17  # 128k values per chunk (512 KiB raw), in h5py's usual range
        data = X.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32,
                                chunks=(chunk,), compression="gzip")
        indices = X.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32,
                                   chunks=(chunk,), compression="gzip")
        indptr = np.zeros(a.cells + 1, dtype=np.int64)
        n_counts = np.zeros(a.cells, dtype=np.float32)
        nnz = 0
        for start in range(0, a.cells, a.batch):
            b = min(a.batch, a.cells - start)
            # Draw with replacement, then keep each gene once per cell: ~genes-per-cell detected.
            k = int(a.genes_per_cell * 1.85)
            draws = np.searchsorted(cdf, rng.uniform(size=(b, k)))
            draws = np.minimum(draws, n_genes - 1)
            draws.sort(axis=1)
            keep = np.ones_like(draws, dtype=bool)
            keep[:, 1:] = draws[:, 1:] != draws[:, :-1]
            per_cell = keep.sum(axis=1)
            cols = draws[keep].astype(np.int32)
            vals = (1 + rng.geometric(0.55, size=cols.size) - 1 + rng.geometric(0.7, size=cols.size) - 1).astype(np.float32)
            vals = np.maximum(vals, 1)
            depth = np.exp(rng.normal(0, 0.3, size=b))
            vals = np.maximum(1, np.round(vals * np.repeat(depth, per_cell))).astype(np.float32)
            offsets = np.concatenate([[0], np.cumsum(per_cell)])
            indptr[start + 1:start + b + 1] = nnz + offsets[1:]
            n_counts[start:start + b] = np.add.reduceat(vals, offsets[:-1])
            data.resize((nnz + cols.size,))
            indices.resize((nnz + cols.size,))
            data[nnz:] = vals
            indices[nnz:] = cols
            nnz += cols.size
            print("\r%d / %d cells, %.0f genes per cell" % (start + b, a.cells, nnz / (start + b)), end="", flush=True)
        print()
        X.create_dataset("indptr", data=indptr, compression="gzip")

        obs = f.create_group("obs")
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = np.array(["n_counts", "cell_type"], dtype=object)
        obs.attrs["encoding-type"] = "dataframe"
        obs.attrs["encoding-version"] = "0.2.0"
        index = obs.create_dataset("_index", data=np.array(["cell%08d" % i for i in range(a.cells)], dtype=object),
                                   dtype=str_dt, compression="gzip")
        index.attrs["encoding-type"] = "string-array"
        index.attrs["encoding-version"] = "0.2.0"
        nc = obs.create_dataset("n_counts", data=n_counts, compression="gzip")
        nc.attrs["encoding-type"] = "array"
        nc.attrs["encoding-version"] = "0.2.0"
        ct = obs.create_group("cell_type")
        ct.attrs["encoding-type"] = "categorical"
        ct.attrs["encoding-version"] = "0.2.0"
        ct.attrs["ordered"] = False
        ct.create_dataset("categories", data=np.array(["A", "B", "C", "D"], dtype=object), dtype=str_dt)
        ct.create_dataset("codes", data=rng.randint(0, 4, a.cells).astype(np.int8), compression="gzip")

        var = f.create_group("var")
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array(["ensembl_id"], dtype=object)
        var.attrs["encoding-type"] = "dataframe"
        var.attrs["encoding-version"] = "0.2.0"
        vi = var.create_dataset("_index", data=np.array(["G%d" % i for i in range(n_genes)], dtype=object), dtype=str_dt)
        vi.attrs["encoding-type"] = "string-array"
        vi.attrs["encoding-version"] = "0.2.0"
        ve = var.create_dataset("ensembl_id", data=np.array(ids, dtype=object), dtype=str_dt)
        ve.attrs["encoding-type"] = "string-array"
        ve.attrs["encoding-version"] = "0.2.0"
    os.replace(tmp, a.out)
    print("wrote %s: %d cells x %d genes, %d stored values (%.0f per cell), %.2f GB on disk"
          % (a.out, a.cells, n_genes, nnz, nnz / a.cells, os.path.getsize(a.out) / 1e9))


if __name__ == "__main__":
    main()
