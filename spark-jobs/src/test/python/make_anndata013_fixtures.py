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
  zarr/atlas_v3.zarr            zarr/atlas.zarr in zarr format 3, as anndata 0.12 and later write it
                                with zarr-python 3 (ad.settings.zarr_write_format = 3; SpatialData's
                                tables): one zarr.json per group and array (attributes inside),
                                chunk keys c/0, codecs bytes (little-endian) or vlen-utf8 for
                                strings, then zstd level 0 (zarr-python 3's defaults); the root's
                                consolidated metadata, as consolidate_metadata writes it
  zarr/dense_v3.zarr            zarr/dense_zstd.zarr (a dense X in 7 x 5 chunks) in format 3 with
                                chunk keys c/i/j and the codecs a user may ask zarr-python for:
                                transpose (Fortran order), bytes, zstd level 3, crc32c
  zarr/atlas_sharded.zarr       atlas_v3.zarr with every array in shards (sharding_indexed, as
                                anndata's auto_shard_zarr_v3 writes them): inner chunks of 16
                                elements, 4 to a shard, each inner chunk bytes + zstd, the index
                                at the shard's end as bytes + crc32c (zarr-python's defaults);
                                inner chunks holding only the fill value are not written (empty
                                index entries), as zarr-python's write_empty_chunks=False does
  zarr/dense_sharded.zarr       dense_zstd.zarr's X in shards of 2 x 2 inner chunks of 7 x 5

Format 3 stores are written from the format 2 ones with numcodecs (the compressors and the vlen-utf8
encoding zarr-python 3 itself calls) and JSON as the zarr v3 specification lays out, since Debian's
zarr is 2.13.

Run from the repository root with Debian's Python:
  /usr/bin/python3 spark-jobs/src/test/python/make_pandas3_fixtures.py
"""
import json
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


V3_TYPES = {"bool": "bool", "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
            "uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
            "float32": "float32", "float64": "float64", "object": "string"}


def crc32c(data):
    """CRC-32C (Castagnoli), as zarr's crc32c codec appends it (little-endian)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return (crc ^ 0xFFFFFFFF).to_bytes(4, "little")


def v3_array(folder, array, attributes, level=0, transpose=False, checksum=False, shard=None):
    """Writes a format 2 array (read whole with zarr 2.13) as a format 3 array in folder; with
    shard=(inner, per): in shards of `per` inner chunks of `inner` elements along each dimension
    (2-D arrays keep their own chunks as inner chunks)."""
    data = array[...]
    string = data.dtype == object
    chunks = list(array.chunks)
    if shard is not None:
        inner, per = shard
        chunks = [inner] if data.ndim == 1 and inner else chunks
    codecs = []
    if transpose:
        codecs.append({"name": "transpose", "configuration": {"order": list(range(data.ndim))[::-1]}})
    if string:
        codecs.append({"name": "vlen-utf8", "configuration": {}})
    elif data.dtype.itemsize == 1:
        codecs.append({"name": "bytes"})
    else:
        codecs.append({"name": "bytes", "configuration": {"endian": "little"}})
    codecs.append({"name": "zstd", "configuration": {"level": level, "checksum": False}})
    if checksum:
        codecs.append({"name": "crc32c"})
    fill = "" if string else (False if data.dtype == bool else (0.0 if data.dtype.kind == "f" else 0))
    grid = chunks
    if shard is not None:
        grid = [c * per for c in chunks]
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": chunks, "codecs": codecs,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                             {"name": "crc32c"}],
            "index_location": "end"}}]
    meta = {"shape": list(data.shape), "data_type": V3_TYPES[data.dtype.name],
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": fill, "codecs": codecs, "attributes": attributes,
            "zarr_format": 3, "node_type": "array", "storage_transformers": []}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "zarr.json"), "w") as f:
        json.dump(meta, f, indent=2)
    zstd = numcodecs.Zstd(level=level)
    vlen = numcodecs.VLenUTF8()
    little = data.astype(data.dtype.newbyteorder("<")) if data.dtype.byteorder == ">" else data

    def encoded(index):
        """Inner (or only) chunk `index` encoded; None when it holds only the fill value."""
        if any(i * c >= n for i, c, n in zip(index, chunks, data.shape)):
            return None
        block = np.full(chunks, fill, dtype=object if string else little.dtype)
        part = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, chunks, data.shape))
        block[tuple(slice(0, p.stop - p.start) for p in part)] = little[part]
        if shard is not None and bool((block == fill).all()):
            return None
        if transpose:
            block = block.T
        raw = vlen.encode(block.ravel()) if string else np.ascontiguousarray(block).tobytes()
        stored = bytes(zstd.encode(raw))
        return stored + crc32c(stored) if checksum else stored

    def write(index, stored):
        path = os.path.join(folder, "c", *[str(i) for i in index])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(stored)

    if shard is None:
        for index in np.ndindex(*[-(-n // c) for n, c in zip(data.shape, chunks)]):
            write(index, encoded(index))
        return meta
    empty = (2**64 - 1).to_bytes(8, "little")
    for outer in np.ndindex(*[-(-n // g) for n, g in zip(data.shape, grid)]):
        payload, entries = b"", b""
        for inner_index in np.ndindex(*[per] * data.ndim):  # C order within the shard
            stored = encoded(tuple(o * per + i for o, i in zip(outer, inner_index)))
            if stored is None:
                entries += empty + empty
            else:
                entries += len(payload).to_bytes(8, "little") + len(stored).to_bytes(8, "little")
                payload += stored
        write(outer, payload + entries + crc32c(entries))
    return meta


def zarr_v3(source, target, **options):
    """A format 2 store rewritten as format 3, node by node."""
    if os.path.exists(target):
        shutil.rmtree(target)
    src = zarr.open_group(source, mode="r")
    consolidated = {}

    def group(g, folder, name):
        meta = {"zarr_format": 3, "node_type": "group", "attributes": dict(g.attrs)}
        os.makedirs(folder, exist_ok=True)
        for key in sorted(g.group_keys()):
            child = (name + "/" if name else "") + key
            consolidated[child] = group(g[key], os.path.join(folder, key), child)
        for key in sorted(g.array_keys()):
            child = (name + "/" if name else "") + key
            consolidated[child] = v3_array(os.path.join(folder, key), g[key], dict(g[key].attrs),
                                           **options)
        if name == "":
            meta["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                             "metadata": consolidated}
        with open(os.path.join(folder, "zarr.json"), "w") as f:
            json.dump(meta, f, indent=2)
        return {k: v for k, v in meta.items() if k != "consolidated_metadata"}

    group(src, target, "")
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
    zarr_v3(os.path.join(ROOT, "zarr", "atlas.zarr"), os.path.join(ROOT, "zarr", "atlas_v3.zarr"))
    zarr_v3(os.path.join(ROOT, "zarr", "dense_zstd.zarr"), os.path.join(ROOT, "zarr", "dense_v3.zarr"),
            level=3, transpose=True, checksum=True)
    zarr_v3(os.path.join(ROOT, "zarr", "atlas.zarr"), os.path.join(ROOT, "zarr", "atlas_sharded.zarr"),
            shard=(16, 4))
    zarr_v3(os.path.join(ROOT, "zarr", "dense_zstd.zarr"),
            os.path.join(ROOT, "zarr", "dense_sharded.zarr"), shard=(None, 2))
