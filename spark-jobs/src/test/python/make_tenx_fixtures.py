#!/usr/bin/env python3
"""Cell Ranger HDF5 fixtures for the tokenizer, from the h5ad fixture classify_atlas.h5ad, so the
same cells can be tokenized from both formats (h5py; the layout of Cell Ranger >= 3's
filtered_feature_bc_matrix.h5):

    /usr/bin/python3 spark-jobs/src/test/python/make_tenx_fixtures.py

fixtures/tenx/classify_10x.h5   matrix/{data, indices, indptr, shape, barcodes,
    features/{id, name, feature_type, genome}}, gzip-chunked like Cell Ranger's; one extra
    "Antibody Capture" feature with counts, which the reader must leave out.
fixtures/tenx/not_10x.h5        an HDF5 file without a matrix group.
"""
import os

import anndata
import h5py
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIX, "tenx")


def main():
    a = anndata.read_h5ad(os.path.join(FIX, "atlas", "classify_atlas.h5ad"))
    x = sp.csr_matrix(a.X).astype(np.int32)
    rng = np.random.RandomState(4)
    antibody = sp.csr_matrix(rng.poisson(5.0, (a.n_obs, 1)).astype(np.int32))
    cells_x_features = sp.hstack([x, antibody]).tocsr()
    cells_x_features.sort_indices()
    os.makedirs(OUT, exist_ok=True)
    n_features = cells_x_features.shape[1]
    with h5py.File(os.path.join(OUT, "classify_10x.h5"), "w") as f:
        m = f.create_group("matrix")
        kw = dict(compression="gzip", chunks=True)
        m.create_dataset("data", data=cells_x_features.data, **kw)
        m.create_dataset("indices", data=cells_x_features.indices.astype(np.int64), **kw)
        m.create_dataset("indptr", data=cells_x_features.indptr.astype(np.int64), **kw)
        m.create_dataset("shape", data=np.array([n_features, a.n_obs], dtype=np.int32))
        m.create_dataset("barcodes", data=np.array([c.encode() for c in a.obs_names]), **kw)
        feats = m.create_group("features")
        ids = list(a.var["ensembl_id"]) + ["CD3_TotalSeqB"]
        names = list(a.var_names) + ["CD3"]
        types = ["Gene Expression"] * a.n_vars + ["Antibody Capture"]
        feats.create_dataset("id", data=np.array([i.encode() for i in ids]), **kw)
        feats.create_dataset("name", data=np.array([n.encode() for n in names]), **kw)
        feats.create_dataset("feature_type", data=np.array([t.encode() for t in types]), **kw)
        feats.create_dataset("genome", data=np.array([b"GRCh38"] * n_features), **kw)
    with h5py.File(os.path.join(OUT, "not_10x.h5"), "w") as f:
        f.create_dataset("counts", data=np.arange(6).reshape(2, 3))
    print("wrote", os.path.relpath(OUT), sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
