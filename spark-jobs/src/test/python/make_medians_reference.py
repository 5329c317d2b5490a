#!/usr/bin/env python3
"""Expected non-zero medians (Geneformer's per-gene non-zero medians of depth-normalised counts, computed exactly) for `cellspark medians`
on the fixture atlases, computed with anndata and numpy, independent of the Java code:

    /usr/bin/python3 spark-jobs/src/test/python/make_medians_reference.py

For each atlas: cells with filter_pass == 1 (when the column exists); per cell, columns with the
same upper-cased gene ID summed; x / n_counts * 10000 (obs n_counts); zeros left out; per gene
numpy.median over the cells that express it, the two middle values (lower, upper: an approximate
median must be one of them or between), and the number of cells.
Writes spark-jobs/src/test/resources/fixtures/medians/expected.json.
"""
import json
import os

import anndata
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ATLAS = os.path.join(HERE, "..", "resources", "fixtures", "atlas")
OUT = os.path.join(HERE, "..", "resources", "fixtures", "medians", "expected.json")


def medians(path):
    a = anndata.read_h5ad(path)
    x = a.X.toarray() if hasattr(a.X, "toarray") else np.asarray(a.X)
    ids = [str(i).upper() for i in a.var["ensembl_id"]]
    values = {}
    for r in range(a.n_obs):
        if "filter_pass" in a.obs and a.obs["filter_pass"].iloc[r] != 1:
            continue
        n = float(a.obs["n_counts"].iloc[r]) if "n_counts" in a.obs else float(x[r].sum())
        summed = {}
        for c, g in enumerate(ids):
            summed[g] = summed.get(g, 0.0) + float(x[r, c])
        for g, v in summed.items():
            if v != 0 and n > 0:
                values.setdefault(g, []).append(v / n * 10000)
    out = {}
    for g, v in sorted(values.items()):
        s = sorted(v)
        k = len(s)
        out[g] = {"median": float(np.median(s)), "lower": s[(k - 1) // 2], "upper": s[k // 2], "cells": k}
    return out


def main():
    out = {name: medians(os.path.join(ATLAS, name)) for name in ("csr_float32_gzip.h5ad", "classify_atlas.h5ad")}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.relpath(OUT), {k: len(v) for k, v in out.items()})


if __name__ == "__main__":
    main()
