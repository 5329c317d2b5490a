#!/usr/bin/env python3
"""An AnnData file shaped as CELLxGENE Census exports one (cellxgene_census.get_anndata): raw counts in
X, the gene table indexed by position ("0", "1", ...), Census' columns, the Ensembl
gene IDs in var's feature_id and the symbols in feature_name (no ensembl_id column, no IDs in the
index). The counts and cells are the atlas fixtures' (make_fixtures.py), so their expected tokens
are this file's with --gene-id-column feature_id.

  atlas/census_shaped.h5ad

Run from the repository root with Debian's python3 (python3-anndata 0.8):
  /usr/bin/python3 spark-jobs/src/test/python/make_census_fixture.py
"""
import os
import sys
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as base  # noqa: E402


def main():
    var = base.atlas_var()
    X = base.atlas_counts(var)
    obs = base.atlas_obs(X)
    genes = pd.DataFrame({
        "soma_joinid": np.arange(len(var), dtype=np.int64),
        "feature_id": list(var["ensembl_id"]),
        "feature_name": list(var.index),
        "feature_length": np.full(len(var), 1500, dtype=np.int64),
    }, index=pd.Index([str(i) for i in range(len(var))]))
    cells = pd.DataFrame({
        "soma_joinid": np.arange(len(obs), dtype=np.int64),
        "cell_type": obs["cell_type"],
        "donor_id": pd.Categorical(obs["donor"]),
        "n_counts": obs["n_counts"],
        "filter_pass": obs["filter_pass"],
    }, index=obs.index)
    path = base.write(base.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=cells, var=genes),
                      "census_shaped.h5ad")
    print("wrote", path)


if __name__ == "__main__":
    main()
