#!/usr/bin/env python3
"""The formats benchmark's inputs: the tokenize benchmark's synthetic .h5ad rewritten, cell for
cell, as a Cell Ranger .h5 (the CSR arrays copied: Cell Ranger compresses by barcode too), as a
loom file (loompy's layout and settings: float32 genes x cells, gzip level 2 in 64 x 64 chunks,
written block by block with h5py, as loompy's own writer would take hours at this size) and as a
gzipped Matrix Market folder (streamed cell block by cell block), and as an AnnData zarr store
(anndata's write_zarr as it is: zarr's default chunks and blosc-lz4 compressor; needs anndata and
zarr), twice: X as CSR and as CSC. Needs numpy and h5py. Each output is skipped when it exists.

    /usr/bin/python3 bench/formats/make_inputs.py ATLAS.h5ad OUT_DIR
"""
import gzip
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd


def strings(ds):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in ds[:]]


def write_loom(path, x, indptr, cells, genes, barcodes, ids, names, f):
    tmp = path + ".part"
    with h5py.File(tmp, "w") as h:
        m = h.create_dataset("matrix", shape=(genes, cells), dtype=np.float32, chunks=(64, 64), compression="gzip",
                             compression_opts=2)
        block = 4096
        for c0 in range(0, cells, block):
            c1 = min(cells, c0 + block)
            lo, hi = int(indptr[c0]), int(indptr[c1])
            dense = np.zeros((genes, c1 - c0), dtype=np.float32)
            rows = x["indices"][lo:hi]
            cols = np.repeat(np.arange(c1 - c0), np.diff(indptr[c0:c1 + 1]))
            dense[rows, cols] = x["data"][lo:hi]
            m[:, c0:c1] = dense
        h.create_group("layers")
        h.create_group("row_graphs")
        h.create_group("col_graphs")
        ra = h.create_group("row_attrs")
        ra.create_dataset("ensembl_id", data=np.array([i.encode() for i in ids]))
        ra.create_dataset("Gene", data=np.array([n.encode() for n in names]))
        ca = h.create_group("col_attrs")
        ca.create_dataset("CellID", data=np.array([b.encode() for b in barcodes]))
        if "n_counts" in f["obs"]:
            ca.create_dataset("n_counts", data=f["obs/n_counts"][:])
        h.attrs["LOOM_SPEC_VERSION"] = "3.0.0"
    os.replace(tmp, path)


def write_zarr(atlas, path, csc=False):
    import shutil
    import warnings

    warnings.filterwarnings("ignore")
    import anndata

    tmp = path + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    a = anndata.read_h5ad(atlas)
    if csc:
        a.X = a.X.tocsc()
    a.write_zarr(tmp)
    os.replace(tmp, path)


def main():
    atlas, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(out, "atlas.zarr", ".zgroup")):
        write_zarr(atlas, os.path.join(out, "atlas.zarr"))
    if not os.path.exists(os.path.join(out, "atlas_csc.zarr", ".zgroup")):
        write_zarr(atlas, os.path.join(out, "atlas_csc.zarr"), csc=True)
    # The same store in zarr format 3, and in shards of four of its chunks, as the fixture script
    # writes them (zarr-python 3's default codecs: bytes or vlen-utf8, zstd level 0).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "../../spark-jobs/src/test/python"))
    import make_anndata013_fixtures as v3
    for name, options in [("atlas_v3.zarr", {}), ("atlas_sharded.zarr", {"shard": (None, 4)})]:
        if not os.path.exists(os.path.join(out, name, "zarr.json")):
            v3.zarr_v3(os.path.join(out, "atlas.zarr"), os.path.join(out, name + ".part"), **options)
            os.replace(os.path.join(out, name + ".part"), os.path.join(out, name))
    with h5py.File(atlas, "r") as f:
        x = f["X"]
        cells, genes = (int(v) for v in x.attrs["shape"])
        indptr = x["indptr"][:]
        barcodes = strings(f["obs/_index"])
        ids = strings(f["var/ensembl_id"])
        names = strings(f["var/_index"])
        kw = dict(compression="gzip", chunks=(1 << 17,))
        if not os.path.exists(os.path.join(out, "atlas.loom")):
            write_loom(os.path.join(out, "atlas.loom"), x, indptr, cells, genes, barcodes, ids, names, f)
        if os.path.exists(os.path.join(out, "atlas.h5")) and os.path.exists(os.path.join(out, "mtx", "matrix.mtx.gz")):
            print("wrote", out)
            return
        with h5py.File(os.path.join(out, "atlas.h5"), "w") as h:
            m = h.create_group("matrix")
            data = m.create_dataset("data", shape=x["data"].shape, dtype=np.int32, **kw)
            indices = m.create_dataset("indices", shape=x["indices"].shape, dtype=np.int64, **kw)
            step = 1 << 22
            for s in range(0, x["data"].shape[0], step):
                data[s:s + step] = x["data"][s:s + step].astype(np.int32)
                indices[s:s + step] = x["indices"][s:s + step]
            m.create_dataset("indptr", data=indptr.astype(np.int64))
            m.create_dataset("shape", data=np.array([genes, cells], dtype=np.int32))
            m.create_dataset("barcodes", data=np.array([b.encode() for b in barcodes]))
            feats = m.create_group("features")
            feats.create_dataset("id", data=np.array([i.encode() for i in ids]))
            feats.create_dataset("name", data=np.array([n.encode() for n in names]))
            feats.create_dataset("feature_type", data=np.array([b"Gene Expression"] * genes))
        mtx = os.path.join(out, "mtx")
        os.makedirs(mtx, exist_ok=True)
        with gzip.open(os.path.join(mtx, "features.tsv.gz"), "wt") as t:
            t.writelines("%s\t%s\tGene Expression\n" % (i, n) for i, n in zip(ids, names))
        with gzip.open(os.path.join(mtx, "barcodes.tsv.gz"), "wt") as t:
            t.writelines(b + "\n" for b in barcodes)
        # Text through pandas' C writer into an external gzip (default level, as Cell Ranger's):
        # numpy's savetxt formats row by row in Python, hours for 400M entries.
        part = os.path.join(mtx, "matrix.mtx.gz.part")
        with open(part, "wb") as raw:
            gz = subprocess.Popen(["gzip", "-c", "-6"], stdin=subprocess.PIPE, stdout=raw)
            gz.stdin.write(b"%%MatrixMarket matrix coordinate integer general\n%\n")
            gz.stdin.write(b"%d %d %d\n" % (genes, cells, int(indptr[-1])))
            block = 5000
            for c0 in range(0, cells, block):
                c1 = min(cells, c0 + block)
                lo, hi = int(indptr[c0]), int(indptr[c1])
                g = x["indices"][lo:hi] + 1
                v = x["data"][lo:hi].astype(np.int64)
                c = np.repeat(np.arange(c0 + 1, c1 + 1), np.diff(indptr[c0:c1 + 1]))
                gz.stdin.write(pd.DataFrame({"g": g, "c": c, "v": v}).to_csv(sep=" ", header=False, index=False).encode())
            gz.stdin.close()
            if gz.wait() != 0:
                raise SystemExit("gzip failed")
        os.replace(part, os.path.join(mtx, "matrix.mtx.gz"))
    print("wrote", out)


if __name__ == "__main__":
    main()
