#!/usr/bin/env python3
"""The classifier tests' synthetic atlas: 600 cells of four cell types over 3,000 real Geneformer
V1 genes, each type with a programme of 150 genes it expresses strongly (so types are separable
even in a random model's embeddings), six donors with every type in every donor.

    /usr/bin/python3 spark-jobs/src/test/python/make_classify_atlas.py

Writes spark-jobs/src/test/resources/fixtures/atlas/classify_atlas.h5ad (CSR, gzip). Needs
Debian's python3-anndata.
"""
import os
import pickle

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
V1_VOCAB = os.path.join(ROOT, "model-udf/src/main/resources/org/cellspark/vocab/geneformer-v1")
OUT = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/atlas/classify_atlas.h5ad")
TYPES = ["B cell", "NK cell", "T cell", "monocyte"]


def main():
    with open(os.path.join(V1_VOCAB, "token_dictionary.pkl"), "rb") as f:
        vocab = sorted(k for k in pickle.load(f) if k.startswith("ENSG"))
    rng = np.random.RandomState(5)
    genes = list(rng.choice(vocab, 3000, replace=False))
    programme = 150
    n = 600
    types = rng.randint(0, len(TYPES), n)
    donors = rng.randint(0, 6, n)
    base = rng.gamma(0.3, 1.0, len(genes))
    rows, cols, vals = [], [], []
    for c in range(n):
        rate = base.copy()
        t = types[c]
        rate[t * programme:(t + 1) * programme] += 200 * base.mean()
        rate = rate / rate.sum() * rng.lognormal(np.log(800), 0.3)
        counts = rng.poisson(rate)
        nz = np.nonzero(counts)[0]
        rows.extend([c] * len(nz))
        cols.extend(nz)
        vals.extend(counts[nz])
    X = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, len(genes)))
    X.sort_indices()
    obs = pd.DataFrame({
        "cell_type": pd.Categorical([TYPES[t] for t in types], categories=TYPES),
        "donor": pd.Categorical(["D%d" % (d + 1) for d in donors]),
        "n_counts": np.asarray(X.sum(axis=1)).ravel().astype(np.float64),
    }, index=pd.Index(["cell%04d" % i for i in range(n)]))
    var = pd.DataFrame({"ensembl_id": genes}, index=pd.Index(genes))
    AnnData(X, obs=obs, var=var).write_h5ad(OUT, compression="gzip")
    print("wrote", os.path.relpath(OUT, ROOT), X.shape, X.nnz, "non-zeros")


if __name__ == "__main__":
    main()
