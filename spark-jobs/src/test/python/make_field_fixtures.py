#!/usr/bin/env python3
"""Files shaped like the ones users bring, written the way the original tools write them, each
holding the same 40 cells as the atlas fixtures (make_fixtures.py), with the tokens an
independent restatement of Geneformer's tokenizer gives for them:

    /usr/bin/python3 spark-jobs/src/test/python/make_field_fixtures.py

Run with Debian's python3 (python3-anndata 0.8, python3-h5py, python3-scipy). Writes
spark-jobs/src/test/resources/fixtures/field/:

  cellxgene.h5ad        CELLxGENE schema 5 as the portal serves it: X log-normalised, raw/X the
                        counts, gene IDs in the var index (no ensembl_id column), feature_* var
                        columns, the schema's obs columns (no n_counts, no filter_pass), uns and
                        obsm; written by anndata.
  no_obs_columns.h5ad   an obs without any column (scvelo-style: spliced/unspliced layers).
  cellranger2.h5        Cell Ranger 1.x / 2.x filtered_gene_bc_matrices_h5.h5: one group per
                        genome (here GRCh38) with data, indices, indptr, shape, genes,
                        gene_names, barcodes, fixed-length byte strings, gzip-chunked.
  cellranger2_barnyard.h5  the same with two genomes, hg19 (the atlas genes) and mm10 (mouse
                        genes, ENSMUSG IDs), as a human + mouse mixture experiment writes it.
  anndata06.h5ad        AnnData as anndata <= 0.6 wrote it (h5py by hand, as that writer did):
                        obs and var as compound (structured) datasets with an 'index' field,
                        strings as fixed-length bytes, categorical columns as integer codes
                        with their categories in uns/<column>_categories, X a group marked by
                        h5sparse_format / h5sparse_shape attributes; gene IDs in var 'gene_ids'.
  anndata06_dense.h5ad  the same with X a dense 2-D dataset.
  mudata.h5mu           MuData as mudata writes it: a 512-byte user block naming the format,
                        root attributes encoding-type MuData, modalities mod/rna (the atlas, an
                        AnnData group written by anndata) and mod/prot (antibody counts),
                        global obs/var, obsm/obsmap masks.
  mouse_ids.h5ad        mouse data keyed by mouse Ensembl IDs (ENSMUSG...).
  mouse_symbols.h5ad    mouse data keyed by mouse-style symbols (Sym01, ...): the same genes as
                        the vocabulary's human symbols (SYM01, ...) once upper-cased.
  seurat_anndatar.h5ad  a Seurat object of the cells as anndataR's write_h5ad writes it (and
  seurat_anndatar_gzip.h5ad  with compression = "gzip"), and
  seuratdisk.h5ad       as SeuratDisk's SaveH5Seurat + Convert writes it, and
  seuratdisk.loom       as its as.loom writes it; hdf5r_enums.h5: R's factor and logical as
                        hdf5r stores them (enums);
  dropletutils.h5       the cells as DropletUtils' write10xCounts writes a Cell Ranger 3 .h5, and
  dropletutils_mtx/     a Cell Ranger 3 Matrix Market folder: made by src/test/r/make_r_fixtures.R
                        (needs Rscript with Debian's r-cran-seurat, r-bioc-dropletutils,
                        r-bioc-rhdf5 and r-cran-hdf5r); `make_field_fixtures.py r` remakes only
                        these.
  expected.json         per fixture, the tokens (V2 fixture vocabulary) and how they were made.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zlib

import h5py
import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402
from anndata._io.specs import write_elem  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as base  # noqa: E402

OUT = os.path.join(base.ROOT, "spark-jobs/src/test/resources/fixtures/field")
STR = h5py.special_dtype(vlen=str)

V2_TOKENS = {"<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3}
V2_TOKENS.update({base.gene(k): 3 + k for k in range(1, base.N_GENES + 1)})
V2_MAP = {base.gene(k): base.gene(k) for k in range(1, base.N_GENES + 1)}
V2_MAP[base.ALIAS_OF_G03] = base.gene(3)


def path(name):
    os.makedirs(OUT, exist_ok=True)
    p = os.path.join(OUT, name)
    if os.path.exists(p):
        os.remove(p)
    return p


def tokens(var, X, obs=None, ids=None):
    """Reference tokens (make_fixtures.reference_tokens) for counts X; without obs every cell passes
    and n_counts is each cell's total over all genes."""
    v = pd.DataFrame({"ensembl_id": list(var["ensembl_id"] if ids is None else ids)})
    if obs is None:
        o = pd.DataFrame({"filter_pass": np.ones(X.shape[0], dtype=np.int64)}, index=base.atlas_obs(X).index)
        ref = base.reference_tokens(v, X, o, V2_TOKENS, base.MEDIANS, V2_MAP, True, X.sum(axis=1).astype(np.float64))
    else:
        ref = base.reference_tokens(v, X, obs, V2_TOKENS, base.MEDIANS, V2_MAP, True)
    return ref["tokens"]


def barcodes(n):
    rng = np.random.RandomState(3)
    return ["".join(rng.choice(list("ACGT"), 16)) + "-1" for _ in range(n)]


# ------------------------------------------------------------------------------------------

def cellxgene(var, X, obs):
    n = X.shape[0]
    ids = list(var["ensembl_id"])
    symbols = list(var.index)
    feature_var = pd.DataFrame({
        "feature_is_filtered": np.zeros(len(ids), dtype=bool),
        "feature_name": pd.Categorical(symbols),
        "feature_reference": pd.Categorical(["NCBITaxon:9606"] * len(ids)),
        "feature_biotype": pd.Categorical(["gene"] * len(ids)),
        "feature_length": np.arange(len(ids), dtype=np.int64) * 100 + 900,
        "feature_type": pd.Categorical(["protein_coding"] * len(ids)),
    }, index=pd.Index(ids))
    types = [str(t) if isinstance(t, str) else "unknown" for t in obs["cell_type"]]
    cl = {"T cell": "CL:0000084", "B cell": "CL:0000236", "monocyte": "CL:0000576", "unknown": "unknown"}
    schema_obs = pd.DataFrame({
        "assay_ontology_term_id": pd.Categorical(["EFO:0009922"] * n),
        "cell_type_ontology_term_id": pd.Categorical([cl[t] for t in types]),
        "development_stage_ontology_term_id": pd.Categorical(["HsapDv:0000087"] * n),
        "disease_ontology_term_id": pd.Categorical(["PATO:0000461"] * n),
        "self_reported_ethnicity_ontology_term_id": pd.Categorical(["unknown"] * n),
        "donor_id": pd.Categorical(list(obs["donor"])),
        "is_primary_data": np.ones(n, dtype=bool),
        "organism_ontology_term_id": pd.Categorical(["NCBITaxon:9606"] * n),
        "sex_ontology_term_id": pd.Categorical(["PATO:0000383"] * n),
        "tissue_ontology_term_id": pd.Categorical(["UBERON:0002048"] * n),
        "suspension_type": pd.Categorical(["cell"] * n),
        "tissue_type": pd.Categorical(["tissue"] * n),
        "cell_type": pd.Categorical(types),
        "assay": pd.Categorical(["10x 3' v3"] * n),
        "disease": pd.Categorical(["normal"] * n),
        "organism": pd.Categorical(["Homo sapiens"] * n),
        "sex": pd.Categorical(["female"] * n),
        "tissue": pd.Categorical(["lung"] * n),
        "self_reported_ethnicity": pd.Categorical(["unknown"] * n),
        "development_stage": pd.Categorical(["human adult stage"] * n),
        "observation_joinid": ["j%05d" % i for i in range(n)],
    }, index=obs.index)
    counts = sp.csr_matrix(X.astype(np.float32))
    norm = np.log1p(X / np.maximum(X.sum(axis=1, keepdims=True), 1) * 1e4).astype(np.float32)
    a = ad.AnnData(sp.csr_matrix(norm), obs=schema_obs, var=feature_var, dtype=np.float32)
    a.raw = ad.AnnData(counts, obs=schema_obs, var=feature_var.drop(columns=["feature_is_filtered"]), dtype=np.float32)
    a.uns["schema_version"] = "5.2.0"
    a.uns["title"] = "A small lung atlas (test fixture)"
    a.uns["default_embedding"] = "X_umap"
    a.obsm["X_umap"] = np.random.RandomState(1).normal(size=(n, 2)).astype(np.float32)
    a.write_h5ad(path("cellxgene.h5ad"), compression="gzip")
    return {"tokens": tokens(var, X), "how": "counts from raw/X, gene IDs from the var index, n_counts computed, every cell kept",
            "cell_type": {c: t for c, t in zip(obs.index, types)}, "medians": medians(ids, X)}


def medians(ids, X):
    """Non-zero medians of count / cell total x 10,000 per upper-cased gene ID (columns of one ID summed), numpy's median."""
    values = {}
    for r in range(X.shape[0]):
        n = float(X[r].sum())
        summed = {}
        for c, g in enumerate(i.upper() for i in ids):
            summed[g] = summed.get(g, 0.0) + float(X[r, c])
        for g, v in summed.items():
            if v != 0 and n > 0:
                values.setdefault(g, []).append(v / n * 10000)
    return {g: float(np.median(v)) for g, v in sorted(values.items())}


def no_obs_columns(var, X):
    a = ad.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=pd.DataFrame(index=base.atlas_obs(X).index), var=var,
                   dtype=np.float32)
    a.layers["spliced"] = sp.csr_matrix((X * 2 // 3).astype(np.float32))
    a.layers["unspliced"] = sp.csr_matrix((X - X * 2 // 3).astype(np.float32))
    a.write_h5ad(path("no_obs_columns.h5ad"), compression="gzip")
    return {"tokens": tokens(var, X), "how": "counts from X, n_counts computed, every cell kept"}


def cellranger2(var, X, name, mouse_genes=0):
    """genes x cells compressed by cell (CSC of genes x cells = CSR of cells x genes), as Cell Ranger 2 writes it."""
    csr = sp.csr_matrix(X.astype(np.int32))
    csr.sort_indices()
    cells = barcodes(X.shape[0])
    kw = dict(compression="gzip", shuffle=True, chunks=True)

    def genome(f, group, ids, names, m):
        g = f.create_group(group)
        g.create_dataset("barcodes", data=np.array([c.encode() for c in cells]), **kw)
        g.create_dataset("data", data=m.data.astype(np.int32), **kw)
        g.create_dataset("gene_names", data=np.array([s.encode() for s in names]), **kw)
        g.create_dataset("genes", data=np.array([i.upper().encode() for i in ids]), **kw)
        g.create_dataset("indices", data=m.indices.astype(np.int64), **kw)
        g.create_dataset("indptr", data=m.indptr.astype(np.int64), **kw)
        g.create_dataset("shape", data=np.array([m.shape[1], m.shape[0]], dtype=np.int32))

    with h5py.File(path(name), "w") as f:
        if mouse_genes == 0:
            genome(f, "GRCh38", list(var["ensembl_id"]), list(var.index), csr)
        else:
            genome(f, "hg19", list(var["ensembl_id"]), list(var.index), csr)
            rng = np.random.RandomState(9)
            mouse = sp.csr_matrix(rng.poisson(0.5, (X.shape[0], mouse_genes)).astype(np.int32))
            mouse.sort_indices()
            genome(f, "mm10", ["ENSMUSG%011d" % (k + 1) for k in range(mouse_genes)],
                   ["Mgene%d" % (k + 1) for k in range(mouse_genes)], mouse)
    ids = [i.upper() for i in var["ensembl_id"]]
    return {"tokens": tokens(var, X, ids=ids), "barcodes": cells,
            "how": "gene IDs from genes (upper case, as Cell Ranger writes them), n_counts computed, every cell kept"}


def anndata06(var, X, obs, name, dense=False):
    """anndata 0.6's writer: dataframes as numpy record arrays with fixed-width byte strings;
    a string column with fewer distinct values than rows became categorical, its codes in the
    record and its categories in uns/<column>_categories."""
    def records(df, uns):
        names, arrays = ["index"], [np.array(df.index, dtype="S%d" % max(len(s) for s in df.index))]
        for k in df.columns:
            col = df[k]
            if col.dtype == object and len(set(col)) < len(col):
                col = col.astype("category")
            if isinstance(col.dtype, pd.CategoricalDtype):
                cats = [str(c) for c in col.cat.categories]
                uns[k + "_categories"] = np.array(cats, dtype="S%d" % max(len(c) for c in cats))
                arrays.append(col.cat.codes.values)
            elif col.dtype == object:
                arrays.append(np.array(col, dtype="S%d" % max(len(s) for s in col)))
            else:
                arrays.append(col.values)
            names.append(k)
        return np.rec.fromarrays(arrays, dtype={"names": names, "formats": [a.dtype for a in arrays]})

    uns = {}
    old_obs = obs[["cell_type", "donor", "n_counts", "filter_pass", "age", "is_control"]]
    old_var = pd.DataFrame({"gene_ids": list(var["ensembl_id"])}, index=var.index)
    obs_records = records(old_obs, uns)
    var_records = records(old_var, uns)
    with h5py.File(path(name), "w") as f:
        if dense:
            f.create_dataset("X", data=X.astype(np.float32), compression="gzip")
        else:
            csr = sp.csr_matrix(X.astype(np.float32))
            g = f.create_group("X")
            g.attrs["h5sparse_format"] = "csr"
            g.attrs["h5sparse_shape"] = np.array(X.shape)
            g.create_dataset("data", data=csr.data, compression="gzip")
            g.create_dataset("indices", data=csr.indices, compression="gzip")
            g.create_dataset("indptr", data=csr.indptr)
        f.create_dataset("obs", data=obs_records, compression="gzip")
        f.create_dataset("var", data=var_records, compression="gzip")
        u = f.create_group("uns")
        for k, v in uns.items():
            u.create_dataset(k, data=v)
        pca = np.random.RandomState(2).normal(size=(X.shape[0], 3)).astype(np.float32)
        f.create_dataset("obsm", data=np.rec.fromarrays([pca], dtype=[("X_pca", np.float32, (3,))]))
        f.create_dataset("varm", data=np.rec.fromarrays([np.zeros((X.shape[1], 2), dtype=np.float32)],
                                                        dtype=[("PCs", np.float32, (2,))]))
    types = [None if not isinstance(t, str) else t for t in obs["cell_type"]]
    return {"tokens": tokens(var, X, obs), "cell_type": dict(zip(obs.index, types)),
            "donor": dict(zip(obs.index, obs["donor"])), "is_control": dict(zip(obs.index, map(bool, obs["is_control"]))),
            "how": "gene IDs from var 'gene_ids' (--gene-id-column gene_ids), obs n_counts and filter_pass"}


def mudata(var, X, obs):
    rna = ad.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var, dtype=np.float32)
    rng = np.random.RandomState(6)
    prot = ad.AnnData(sp.csr_matrix(rng.poisson(4.0, (X.shape[0], 3)).astype(np.float32)), obs=pd.DataFrame(index=obs.index),
                      var=pd.DataFrame(index=["CD3_TotalSeqB", "CD19_TotalSeqB", "CD14_TotalSeqB"]), dtype=np.float32)
    p = path("mudata.h5mu")
    with h5py.File(p, "w", userblock_size=512) as f:
        f.attrs["encoding-type"] = "MuData"
        f.attrs["encoding-version"] = "0.1.0"
        f.attrs["encoder"] = "mudata"
        f.attrs["encoder-version"] = "0.2.3"
        mod = f.create_group("mod")
        mod.attrs["mod-order"] = np.array(["rna", "prot"], dtype=object)
        write_elem(mod, "rna", rna)
        write_elem(mod, "prot", prot)
        glob = pd.DataFrame({"rna:cell_type": obs["cell_type"]}, index=obs.index)
        write_elem(f, "obs", glob)
        write_elem(f, "var", pd.DataFrame(index=list(var.index) + list(prot.var_names)))
        write_elem(f, "obsm", {"rna": np.ones(X.shape[0], dtype=bool), "prot": np.ones(X.shape[0], dtype=bool)})
        write_elem(f, "obsmap", {"rna": np.arange(1, X.shape[0] + 1, dtype=np.uint32),
                                 "prot": np.arange(1, X.shape[0] + 1, dtype=np.uint32)})
        write_elem(f, "uns", {})
    # The user block, as mudata fills it.
    with open(p, "r+b") as f:
        f.write(b"MuData (format-version=0.1.0;creator=mudata;creator-version=0.2.3)")
    return {"tokens": tokens(var, X, obs), "how": "the rna modality as AnnData: var ensembl_id, obs n_counts and filter_pass"}


def mouse(var, X):
    ids = ["ENSMUSG%011d" % (k + 1) for k in range(len(var))]
    a = ad.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=pd.DataFrame(index=base.atlas_obs(X).index),
                   var=pd.DataFrame({"ensembl_id": ids}, index=["Mgene%d" % (k + 1) for k in range(len(var))]),
                   dtype=np.float32)
    a.write_h5ad(path("mouse_ids.h5ad"), compression="gzip")
    # Mouse-style symbols: the vocabulary's symbols SYMnn written Symnn; genes outside it Gm-style.
    vocab_symbol = {base.gene(k): "SYM%02d" % k for k in range(1, base.N_GENES + 1)}
    symbols, reaches = [], []
    for k, gid in enumerate(var["ensembl_id"]):
        s = vocab_symbol.get(gid.upper())
        symbols.append(s[0] + s[1:].lower() if s else "Gm%05d" % (k + 1))
        reaches.append(gid.upper() if s else "NONE%02d" % k)
    b = ad.AnnData(sp.csr_matrix(X.astype(np.float32)), obs=pd.DataFrame(index=base.atlas_obs(X).index),
                   var=pd.DataFrame(index=symbols), dtype=np.float32)
    b.write_h5ad(path("mouse_symbols.h5ad"), compression="gzip")
    return {"tokens": tokens(var, X, ids=reaches), "symbols": symbols,
            "how": "symbols upper-cased onto the vocabulary's gene name dictionary (--cross-species), n_counts computed"}


def r_fixtures(var, X, obs):
    """seurat_anndatar.h5ad and seuratdisk.h5ad (a Seurat object of these cells written as anndataR
    and SeuratDisk write it), dropletutils.h5 and dropletutils_mtx/ (DropletUtils' write10xCounts),
    by src/test/r/make_r_fixtures.R (Rscript with Debian's Seurat, DropletUtils, rhdf5 and hdf5r). Gene IDs are the Seurat object's feature names; n_counts is computed and every
    cell kept (Seurat's meta.data has nCount_RNA, not n_counts)."""
    script = os.path.join(base.ROOT, "spark-jobs/src/test/r/make_r_fixtures.R")
    with tempfile.TemporaryDirectory() as d:
        scipy.io.mmwrite(os.path.join(d, "counts.mtx"), sp.coo_matrix(X))
        with open(os.path.join(d, "genes.txt"), "w") as f:
            f.write("\n".join(var["ensembl_id"]) + "\n")
        with open(os.path.join(d, "symbols.txt"), "w") as f:
            f.write("\n".join(var.index) + "\n")
        with open(os.path.join(d, "cells.txt"), "w") as f:
            f.write("\n".join(obs.index) + "\n")
        obs[["cell_type", "donor", "batch", "flag"]].to_csv(os.path.join(d, "obs.csv"))
        for name in ("seurat_anndatar.h5ad", "seurat_anndatar_gzip.h5ad", "seuratdisk.h5ad", "seuratdisk.loom",
                     "hdf5r_enums.h5", "dropletutils.h5"):
            path(name)
        shutil.rmtree(os.path.join(OUT, "dropletutils_mtx"), ignore_errors=True)
        subprocess.run(["Rscript", script, d, OUT], check=True)

    def enum_names(dataset):
        """A 1-D uint8 enum dataset's stored values as member names, None where a value is no
        member. Read from the stored chunks: hdf5r stores a factor's NA as 255, and the HDF5
        library's enum conversion (what h5py's reads go through) turns that into another code
        (hdf5r itself then cannot read the factor back)."""
        names = {v: k for k, v in h5py.check_enum_dtype(dataset.dtype).items()}
        stored = []
        for i in range(dataset.id.get_num_chunks()):
            _, raw = dataset.id.read_direct_chunk(dataset.id.get_chunk_info(i).chunk_offset)
            stored.extend(zlib.decompress(raw) if dataset.compression == "gzip" else raw)
        return [names.get(v) for v in stored[:dataset.shape[0]]]

    with h5py.File(os.path.join(OUT, "seuratdisk.loom"), "r") as f:
        loom_types = dict(zip([c.decode() for c in f["col_attrs/CellID"][:]], enum_names(f["col_attrs/cell_type"])))
    with h5py.File(os.path.join(OUT, "hdf5r_enums.h5"), "r") as f:
        enums = {"factor": enum_names(f["factor"]),
                 "logical": [{"TRUE": True, "FALSE": False}.get(n) for n in enum_names(f["logical"])]}
    types = {c: (str(t) if isinstance(t, str) else None) for c, t in zip(obs.index, obs["cell_type"])}
    detected = {c: int(n) for c, n in zip(obs.index, (X != 0).sum(axis=1))}  # Seurat's nFeature_RNA
    batch = {c: (None if pd.isna(b) else int(b)) for c, b in zip(obs.index, obs["batch"])}
    flag = {c: (None if pd.isna(b) else bool(b)) for c, b in zip(obs.index, obs["flag"])}
    return {
        "seurat_anndatar.h5ad": {"tokens": tokens(var, X), "cell_type": types, "genes_detected": detected,
                                 "batch": batch, "flag": flag,
                                 "how": "counts from layers/counts (csc_matrix), gene IDs from the var index, n_counts computed, every cell kept"},
        "seurat_anndatar_gzip.h5ad": {"tokens": tokens(var, X), "cell_type": types, "genes_detected": detected,
                                      "batch": batch, "flag": flag,
                                      "how": "as seurat_anndatar.h5ad, written with compression gzip"},
        "seuratdisk.h5ad": {"tokens": tokens(var, X), "cell_type": types, "genes_detected": detected,
                            "how": "counts from raw/X, gene IDs from raw/var's index, n_counts computed, every cell kept"},
        "seuratdisk.loom": {"tokens": tokens(var, X), "cell_type": loom_types, "genes_detected": detected,
                            "how": "counts from layers/counts, gene IDs from row_attrs/Gene, n_counts computed, every cell kept"},
        "hdf5r_enums.h5": enums,
        "dropletutils.h5": {"tokens": tokens(var, X), "how": "gene IDs from features/id, n_counts computed, every cell kept"},
        "dropletutils_mtx": {"tokens": tokens(var, X), "how": "gene IDs from features.tsv.gz, n_counts computed, every cell kept"},
    }


def main():
    var = base.atlas_var()
    X = base.atlas_counts(var)
    obs = base.atlas_obs(X)
    if sys.argv[1:] == ["r"]:  # only the files R writes (the others need no R)
        with open(os.path.join(OUT, "expected.json")) as f:
            expected = json.load(f)
        expected.update(r_fixtures(var, X, obs))
        with open(os.path.join(OUT, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
        return
    expected = {
        "cellxgene.h5ad": cellxgene(var, X, obs),
        "no_obs_columns.h5ad": no_obs_columns(var, X),
        "cellranger2.h5": cellranger2(var, X, "cellranger2.h5"),
        "cellranger2_barnyard.h5": cellranger2(var, X, "cellranger2_barnyard.h5", mouse_genes=8),
        "anndata06.h5ad": anndata06(var, X, obs, "anndata06.h5ad"),
        "anndata06_dense.h5ad": anndata06(var, X, obs, "anndata06_dense.h5ad", dense=True),
        "mudata.h5mu": mudata(var, X, obs),
        "mouse_symbols.h5ad": mouse(var, X),
    }
    expected.update(r_fixtures(var, X, obs))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print("wrote", os.path.relpath(OUT, base.ROOT), sorted(os.listdir(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
