#!/usr/bin/env python3
"""AnnData zarr stores (upstream's tokenizer reads them with file_format="zarr"), written the way
anndata and zarr write them, each holding the atlas fixtures' 40 cells (make_fixtures.py), with
the tokens an independent restatement of Geneformer's tokenizer gives for them:

    /usr/bin/python3 spark-jobs/src/test/python/make_zarr_fixtures.py

Run with Debian's python3 (python3-anndata 0.8, python3-zarr 2.13, python3-numcodecs). Writes
spark-jobs/src/test/resources/fixtures/zarr/:

  atlas.zarr        adata.write_zarr as it is: X CSR float32, zarr's default compressor (blosc,
                    lz4, byte shuffle), obs with the atlas columns (categoricals, strings, numbers,
                    booleans, nullable integers and booleans), var with ensembl_id.
  cellxgene.zarr    CELLxGENE-shaped: X log-normalised, raw/X the counts, gene IDs in the var
                    index, a layer (spliced); written with small chunks (so cells' entries span
                    several chunks).
  dense_zstd.zarr   X a dense int32 2-D array in 7 x 5 chunks, Fortran order, nested chunk keys
                    (dimension_separator "/"), compressed with zstd (zarr's writer, then
                    anndata's encoding attributes).
  csr_zlib.zarr     X CSR: big-endian int64 data (zlib), uint16 indices (gzip), int64 indptr
                    (numcodecs' LZ4).
  anndata07.zarr    AnnData as anndata 0.7 wrote zarr (zarr's writer by hand, as that version's
                    write_zarr did): X a group marked by h5sparse_format / h5sparse_shape,
                    categorical columns as integer codes whose 'categories' attribute names
                    their categories' array in the dataframe's __categories group, strings as
                    vlen-utf8 arrays, no root attributes.
  csc.zarr          X a CSC matrix (gene by gene), as write_zarr writes one.
  expected.json     per store, the tokens (V2 fixture vocabulary) and how they were made.
"""
import json
import os
import shutil
import sys
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402
import numcodecs  # noqa: E402
import zarr  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_field_fixtures as field  # noqa: E402
import make_fixtures as base  # noqa: E402

OUT = os.path.join(base.ROOT, "spark-jobs/src/test/resources/fixtures/zarr")


def path(name):
    os.makedirs(OUT, exist_ok=True)
    p = os.path.join(OUT, name)
    if os.path.exists(p):
        shutil.rmtree(p)
    return p


def atlas(var, X, obs):
    base.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var).write_zarr(path("atlas.zarr"))
    return {"tokens": field.tokens(var, X, obs),
            "cell_type": {c: (t if isinstance(t, str) else None) for c, t in zip(obs.index, obs["cell_type"])},
            "how": "counts from X, gene IDs from var ensembl_id, obs n_counts and filter_pass"}


def cellxgene(var, X, obs):
    ids = list(var["ensembl_id"])
    genes = pd.DataFrame({"feature_name": pd.Categorical(list(var.index))}, index=pd.Index(ids))
    cells = pd.DataFrame({"donor_id": pd.Categorical(list(obs["donor"])),
                          "is_primary_data": np.ones(X.shape[0], dtype=bool)}, index=obs.index)
    norm = np.log1p(X / np.maximum(X.sum(axis=1, keepdims=True), 1) * 1e4).astype(np.float32)
    a = ad.AnnData(sp.csr_matrix(norm), obs=cells, var=genes, dtype=np.float32)
    a.raw = ad.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=cells, var=genes, dtype=np.float32)
    a.layers["spliced"] = sp.csr_matrix((X * 2 // 3).astype(np.float32))
    a.write_zarr(path("cellxgene.zarr"), chunks=[16])
    return {"tokens": field.tokens(var, X), "medians": field.medians(ids, X),
            "how": "counts from raw/X, gene IDs from the var index, n_counts computed"}


def encoded(group, name, encoding):
    group[name].attrs.update({"encoding-type": encoding, "encoding-version": "0.2.0" if encoding == "array" else "0.1.0"})


def dense_zstd(var, X, obs):
    p = path("dense_zstd.zarr")
    base.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var).write_zarr(p)
    g = zarr.open_group(p, mode="r+")
    del g["X"]
    x = zarr.create(shape=X.shape, chunks=(7, 5), dtype=np.int32, order="F", compressor=numcodecs.Zstd(level=3),
                    store=zarr.storage.NestedDirectoryStore(p), path="X", dimension_separator="/")
    x[:] = X.astype(np.int32)
    encoded(g, "X", "array")
    return {"tokens": field.tokens(var, X, obs), "how": "dense int32 X, 7 x 5 chunks, order F, nested chunk keys, zstd"}


def csr_zlib(var, X, obs):
    p = path("csr_zlib.zarr")
    base.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var).write_zarr(p)
    g = zarr.open_group(p, mode="r+")
    del g["X"]
    csr = sp.csr_matrix(X.astype(np.int64))
    x = g.create_group("X")
    x.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": list(csr.shape)})
    for name, values, compressor in [("data", csr.data.astype(">i8"), numcodecs.Zlib(level=6)),
                                     ("indices", csr.indices.astype(np.uint16), numcodecs.GZip(level=5)),
                                     ("indptr", csr.indptr.astype(np.int64), numcodecs.LZ4())]:
        zarr.create(shape=values.shape, chunks=(50,), dtype=values.dtype, compressor=compressor,
                    store=g.store, path="X/" + name)[:] = values
    return {"tokens": field.tokens(var, X, obs), "how": "CSR: big-endian int64 data (zlib), uint16 indices (gzip), indptr (LZ4)"}


def anndata07(var, X, obs):
    p = path("anndata07.zarr")
    root = zarr.open_group(p, mode="w")
    csr = sp.csr_matrix(X.astype(np.float32))
    x = root.create_group("X")
    x.attrs.update({"h5sparse_format": "csr", "h5sparse_shape": list(csr.shape)})
    for name, values in [("data", csr.data), ("indices", csr.indices), ("indptr", csr.indptr)]:
        x.create_dataset(name, data=values)

    def frame(name, df):
        g = root.create_group(name)
        g.attrs.update({"_index": "_index", "column-order": list(df.columns),
                        "encoding-type": "dataframe", "encoding-version": "0.1.0"})
        g.create_dataset("_index", data=np.array(df.index, dtype=object), dtype=object,
                         object_codec=numcodecs.VLenUTF8())
        for column in df.columns:
            values = df[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                key = "__categories/" + column
                g.create_dataset(key, data=np.array(values.cat.categories, dtype=object), dtype=object,
                                 object_codec=numcodecs.VLenUTF8())
                g.create_dataset(column, data=values.cat.codes.to_numpy())
                g[column].attrs["categories"] = key
                g[key].attrs["ordered"] = bool(values.cat.ordered)
            elif values.dtype == object:
                g.create_dataset(column, data=values.to_numpy(dtype=object), dtype=object,
                                 object_codec=numcodecs.VLenUTF8())
            else:
                g.create_dataset(column, data=values.to_numpy())

    frame("obs", obs[["cell_type", "donor", "n_counts", "filter_pass", "age"]])
    frame("var", var)
    return {"tokens": field.tokens(var, X, obs),
            "cell_type": {c: (t if isinstance(t, str) else None) for c, t in zip(obs.index, obs["cell_type"])},
            "how": "anndata 0.7's zarr layout: h5sparse X, categories in __categories"}


def csc(var, X, obs):
    base.AnnData(sp.csc_matrix(X.astype(np.float32)), obs=obs, var=var).write_zarr(path("csc.zarr"))
    return {"tokens": field.tokens(var, X, obs), "how": "CSC float32 X as write_zarr writes it"}


def main():
    var = base.atlas_var()
    X = base.atlas_counts(var)
    obs = base.atlas_obs(X)
    expected = {
        "atlas.zarr": atlas(var, X, obs),
        "cellxgene.zarr": cellxgene(var, X, obs),
        "dense_zstd.zarr": dense_zstd(var, X, obs),
        "csr_zlib.zarr": csr_zlib(var, X, obs),
        "anndata07.zarr": anndata07(var, X, obs),
        "csc.zarr": csc(var, X, obs),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print("wrote", os.path.relpath(OUT, base.ROOT), sorted(os.listdir(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
