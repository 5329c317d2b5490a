#!/usr/bin/env python3
"""AnnData files as anndata 0.12 and 0.13 write them (with pandas 3: the versions current in 2026).

pandas 3 gives strings a dtype of their own (`str`, an ArrowStringArray whose missing value is
NaN), and anndata 0.13 writes such an array, the obs and var indexes included (cell IDs, gene
IDs), as a `nullable-string-array` group instead of a `string-array` dataset: attributes
encoding-type "nullable-string-array", encoding-version "0.1.0" and na-value "NaN"; a `values`
string-array (a missing value written as "") and a boolean `mask` array (true = missing). This is
anndata's write_nullable and write_dataframe (anndata/_io/specs/methods.py) as of 0.13.

Debian's python3-anndata is 0.8, which cannot write them, so this script converts the committed
fixtures with h5py and zarr, writing each element as anndata 0.13 does; the counts, genes and cells
are the source fixture's, so its expected tokens are these files' too.

  atlas/pandas3_strings.h5ad    atlas/csr_float32_gzip.h5ad with obs/_index, var/_index and
                                var/ensembl_id as nullable string arrays (nothing missing)
  zarr/pandas3_strings.zarr     zarr/atlas.zarr the same way (zarr format 2, as anndata writes
                                by default), its string obs columns too
  bad/missing_cell_id.h5ad      pandas3_strings.h5ad with the fourth cell's ID missing (mask true),
                                as a pandas 3 index holding NaN is written
  atlas/x_none.h5ad             atlas/raw_and_layers.h5ad with X None, as anndata 0.12.1 and later
                                write it (write_null_h5py: an empty dataset, encoding-type "null"):
                                the counts only in raw and layers/counts

Run from the repository root with Debian's Python:
  /usr/bin/python3 spark-jobs/src/test/python/make_pandas3_fixtures.py
"""
import os
import shutil

import h5py
import numcodecs
import numpy as np
import zarr

ROOT = "spark-jobs/src/test/resources/fixtures"
STRINGS = h5py.string_dtype(encoding="utf-8")


def h5_nullable(group, name):
    """Rewrites group[name], a string-array dataset, as anndata 0.13 writes a pandas 3 str array."""
    old = group[name]
    values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in old[()]]
    compression = old.compression
    del group[name]
    g = group.create_group(name)
    g.attrs.update({"encoding-type": "nullable-string-array", "encoding-version": "0.1.0",
                    "na-value": "NaN"})
    v = g.create_dataset("values", data=np.array(values, dtype=object), dtype=STRINGS,
                         compression=compression)
    v.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    m = g.create_dataset("mask", data=np.zeros(len(values), dtype=bool), compression=compression)
    m.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})


def h5ad():
    source = os.path.join(ROOT, "atlas", "csr_float32_gzip.h5ad")
    target = os.path.join(ROOT, "atlas", "pandas3_strings.h5ad")
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as f:
        for frame, name in [("obs", "_index"), ("var", "_index"), ("var", "ensembl_id")]:
            h5_nullable(f[frame], name)
    bad = os.path.join(ROOT, "bad", "missing_cell_id.h5ad")
    shutil.copyfile(target, bad)
    with h5py.File(bad, "r+") as f:
        index = f["obs/_index"]
        values = index["values"][()]
        values[3] = ""
        index["values"][...] = values
        mask = index["mask"][()]
        mask[3] = True
        index["mask"][...] = mask
    print("wrote", target, "and", bad)


def zarr_nullable(group, name):
    """The zarr twin of h5_nullable: values as a vlen-utf8 array, mask a bool array."""
    old = group[name]
    values = np.array([str(v) for v in old[...]], dtype=object)
    compressor = old.compressor
    del group[name]
    g = group.create_group(name)
    g.attrs.update({"encoding-type": "nullable-string-array", "encoding-version": "0.1.0",
                    "na-value": "NaN"})
    v = g.create_dataset("values", shape=values.shape, dtype=object,
                         object_codec=numcodecs.VLenUTF8(), compressor=compressor)
    v[...] = values
    v.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    m = g.create_dataset("mask", shape=values.shape, dtype=bool, compressor=compressor)
    m[...] = np.zeros(values.shape, dtype=bool)
    m.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})


def zarr_store():
    source = os.path.join(ROOT, "zarr", "atlas.zarr")
    target = os.path.join(ROOT, "zarr", "pandas3_strings.zarr")
    if os.path.exists(target):
        shutil.rmtree(target)
    shutil.copytree(source, target)
    root = zarr.open_group(target, mode="r+")
    for frame in ("obs", "var"):
        g = root[frame]
        for name in list(g.array_keys()):
            if g[name].attrs.get("encoding-type") == "string-array":
                zarr_nullable(g, name)
    print("wrote", target)


def x_none():
    source = os.path.join(ROOT, "atlas", "raw_and_layers.h5ad")
    target = os.path.join(ROOT, "atlas", "x_none.h5ad")
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as f:
        del f["X"]
        x = f.create_dataset("X", data=h5py.Empty("f"))
        x.attrs.update({"encoding-type": "null", "encoding-version": "0.1.0"})
    print("wrote", target)


if __name__ == "__main__":
    h5ad()
    zarr_store()
    x_none()
