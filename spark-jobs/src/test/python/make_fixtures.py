#!/usr/bin/env python3
"""Regenerates Cellspark's committed test fixtures and the demo's sample atlas.

Run with Debian's python3 (python3-anndata 0.8, python3-h5py, python3-scipy):

    /usr/bin/python3 spark-jobs/src/test/python/make_fixtures.py

Everything is seeded, so a rerun rewrites the same data (HDF5 bytes may differ slightly with the
h5py version). CI never runs this: the outputs are committed.

Writes
  model-udf/src/test/resources/fixtures/vocab-v2-small/   pickles with numpy scalars, like upstream
  model-udf/src/test/resources/fixtures/vocab-v1-small/   the same genes as .tsv, no <cls>/<eos>
  spark-jobs/src/test/resources/fixtures/atlas/*.h5ad     one small atlas in every layout
  spark-jobs/src/test/resources/fixtures/bad/*            inputs that must be refused
  spark-jobs/src/main/resources/org/cellspark/demo/sample_atlas.h5ad   the demo's atlas (real V1 IDs)
"""
import os
import pickle
import sys
import warnings

import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
VOCAB_DIR = os.path.join(ROOT, "model-udf/src/test/resources/fixtures")
ATLAS_DIR = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/atlas")
BAD_DIR = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/bad")
DEMO_DIR = os.path.join(ROOT, "spark-jobs/src/main/resources/org/cellspark/demo")
V1_VOCAB = os.path.join(ROOT, "model-udf/src/main/resources/org/cellspark/vocab/geneformer-v1")


def gene(k):
    """Vocabulary gene k (1-based) of the small fixture vocabulary."""
    return "ENSG%011d" % k


N_GENES = 30
# Medians: hand-picked for the genes the golden test uses, the rest spread out. G05 and G06 share
# a median so that equal counts tie (tie-break = input gene order).
MEDIANS = {gene(k): 1.0 + 0.25 * k for k in range(1, N_GENES + 1)}
MEDIANS.update({gene(1): 2.0, gene(2): 0.5, gene(3): 1.0, gene(5): 2.0, gene(6): 2.0})
ALIAS_OF_G03 = "ENSG99999999901"  # in the V2 mapping dictionary only: collapses onto G03


def write_vocabularies():
    v2 = os.path.join(VOCAB_DIR, "vocab-v2-small")
    os.makedirs(v2, exist_ok=True)
    tokens = {"<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3}
    for k in range(1, N_GENES + 1):
        tokens[gene(k)] = 3 + k
    # Values as numpy scalars, exactly like Geneformer's own pickles (int16 ids, float64 medians).
    with open(os.path.join(v2, "token_dictionary_gc104M.pkl"), "wb") as f:
        pickle.dump({k: np.int16(v) for k, v in tokens.items()}, f, protocol=4)
    with open(os.path.join(v2, "gene_median_dictionary_gc104M.pkl"), "wb") as f:
        pickle.dump({k: np.float64(v) for k, v in MEDIANS.items()}, f, protocol=4)
    mapping = {gene(k): gene(k) for k in range(1, N_GENES + 1)}
    mapping[ALIAS_OF_G03] = gene(3)
    mapping["ENSG77777777701"] = "ENSG77777777702"  # target not in the vocabulary: ignored
    with open(os.path.join(v2, "ensembl_mapping_dict_gc104M.pkl"), "wb") as f:
        pickle.dump(mapping, f, protocol=4)
    with open(os.path.join(v2, "gene_name_id_dict_gc104M.pkl"), "wb") as f:
        pickle.dump({"SYM%02d" % k: gene(k) for k in range(1, N_GENES + 1)}, f, protocol=4)

    v1 = os.path.join(VOCAB_DIR, "vocab-v1-small")
    os.makedirs(v1, exist_ok=True)
    with open(os.path.join(v1, "token_dictionary.tsv"), "w") as f:
        f.write("# token\tid\n<pad>\t0\n<mask>\t1\n")
        for k in range(1, N_GENES + 1):
            f.write("%s\t%d\n" % (gene(k), 1 + k))
    with open(os.path.join(v1, "gene_median_dictionary.tsv"), "w") as f:
        f.write("# gene\tmedian\n")
        for k in range(1, N_GENES + 1):
            f.write("%s\t%r\n" % (gene(k), MEDIANS[gene(k)]))

    # A protocol-2 pickle (numpy bytes spelled through _codecs.encode), read by the same reader.
    p2 = os.path.join(VOCAB_DIR, "pickles")
    os.makedirs(p2, exist_ok=True)
    with open(os.path.join(p2, "protocol2_numpy.pkl"), "wb") as f:
        pickle.dump({"a": np.int32(7), "b": np.float32(0.5), "c": np.uint8(255), "d": np.bool_(True),
                     "e": np.int64(-3), "f": ">i4 placeholder"}, f, protocol=2)
    with open(os.path.join(p2, "big_endian.pkl"), "wb") as f:
        pickle.dump({"x": np.array([258], dtype=">i2")[0], "y": np.array([1.5], dtype=">f8")[0]}, f,
                    protocol=4)
    write_numpy_string_pickles(p2)


def write_numpy_string_pickles(folder):
    """Dictionaries built from numpy arrays, as `{g: i for i, g in enumerate(adata.var["ensembl_id"].values)}`
    gives when the column is a numpy string array: keys (and values) pickled as numpy str_ / bytes_
    scalars (dtype U<n> / S<n>), with non-ASCII text and a big-endian array among them."""
    ids = np.array([gene(1), gene(2), "ENSG00000000003"])
    with open(os.path.join(folder, "numpy_strings.pkl"), "wb") as f:
        pickle.dump({g: np.int16(i + 2) for i, g in enumerate(ids)}, f, protocol=4)
    names = {np.str_("SYM01"): np.str_(gene(1)), np.str_("Gèneé中"): np.array([gene(2)], dtype=">U15")[0],
             np.bytes_(b"SYM03"): np.bytes_(gene(3).encode())}
    with open(os.path.join(folder, "numpy_strings_protocol2.pkl"), "wb") as f:
        pickle.dump(names, f, protocol=2)


# ---------------------------------------------------------------------------------------------
# The small atlas: 36 input genes, 40 cells, every obs encoding.

def atlas_var():
    rng = np.random.RandomState(7)
    vocab_cols = [gene(k) for k in range(1, 27)]
    rng.shuffle(vocab_cols)
    # Golden-test order: G06 must come before G05 in input order (their values tie).
    i5, i6 = vocab_cols.index(gene(5)), vocab_cols.index(gene(6))
    if i6 > i5:
        vocab_cols[i5], vocab_cols[i6] = vocab_cols[i6], vocab_cols[i5]
    ids = vocab_cols + [ALIAS_OF_G03, gene(27).lower()] + ["ENSG888888888%02d" % k for k in range(1, 9)]
    symbols = ["SYM_%s" % i[-4:].upper() for i in ids]
    symbols = [s if symbols.count(s) == 1 else s + "_%d" % n for n, s in enumerate(symbols)]
    return pd.DataFrame({"ensembl_id": ids, "feature_type": ["Gene Expression"] * len(ids)},
                        index=pd.Index(symbols, name=None))


def atlas_counts(var):
    col = {gid: i for i, gid in enumerate(var["ensembl_id"])}
    n_cells, n_cols = 40, len(var)
    rng = np.random.RandomState(11)
    X = np.zeros((n_cells, n_cols), dtype=np.int64)
    for c in range(n_cells):
        detected = rng.choice(n_cols, size=rng.randint(6, 20), replace=False)
        X[c, detected] = rng.geometric(0.35, size=len(detected))
    # cell 0, "hand1": the hand-worked golden cell (see TokenizeGoldenTest).
    X[0, :] = 0
    X[0, col[gene(1)]] = 10
    X[0, col[gene(2)]] = 5
    X[0, col[ALIAS_OF_G03]] = 4
    X[0, col["ENSG88888888801"]] = 1
    X[0, col[gene(5)]] = 3
    X[0, col[gene(6)]] = 3
    # cell 1, "empty1": only genes outside the vocabulary.
    X[1, :] = 0
    X[1, col["ENSG88888888802"]] = 7
    X[1, col["ENSG88888888803"]] = 2
    # cell 2, "long1": every input gene detected (for truncation).
    X[2, :] = np.arange(1, n_cols + 1)
    # cell 3, "zero1": no counts at all.
    X[3, :] = 0
    return X


def atlas_obs(X):
    n = X.shape[0]
    names = ["hand1", "empty1", "long1", "zero1"] + ["cell%02d" % i for i in range(4, n)]
    rng = np.random.RandomState(5)
    types = np.array(["T cell", "B cell", "monocyte"])[rng.randint(0, 3, n)]
    cell_type = pd.Categorical(types, categories=["B cell", "T cell", "monocyte"])
    cell_type[5] = np.nan  # a missing category (code -1)
    n_counts = X.sum(axis=1).astype(np.float64)
    n_counts[0] = 100.0  # the golden cell's n_counts is 100 (as a hand-curated obs value would be)
    n_counts[3] = 0.0
    filter_pass = np.ones(n, dtype=np.int64)
    filter_pass[6] = 0
    return pd.DataFrame({
        "cell_type": cell_type,
        "donor": ["donor%d" % (i % 4) for i in range(n)],
        "n_counts": n_counts,
        "filter_pass": filter_pass,
        "age": np.arange(n, dtype=np.int64) + 20,
        "score": np.linspace(0, 1, n).astype(np.float32),
        "is_control": np.arange(n) % 5 == 0,
        "batch": pd.array([i % 3 if i % 7 else None for i in range(n)], dtype="Int64"),
        "flag": pd.array([bool(i % 2) if i % 6 else None for i in range(n)], dtype="boolean"),
    }, index=pd.Index(names))


def AnnData(X, obs, var):
    """anndata 0.8 casts X to float32 unless told otherwise; fixtures need their own dtypes."""
    return ad.AnnData(X, obs=obs, var=var, dtype=X.dtype)


def write(adata, name, compression="gzip", folder=ATLAS_DIR):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if os.path.exists(path):
        os.remove(path)
    adata.write_h5ad(path, compression=compression)
    return path


def write_atlases():
    var = atlas_var()
    X = atlas_counts(var)
    obs = atlas_obs(X)

    # Explicit stored zero in the golden cell (G03's own column): must be dropped, not ranked.
    csr = sp.csr_matrix(X.astype(np.float32))
    g03 = list(var["ensembl_id"]).index(gene(3))
    csr = add_explicit_zero(csr, 0, g03)
    write(AnnData(csr, obs=obs, var=var), "csr_float32_gzip.h5ad")
    write(AnnData(sp.csc_matrix(X), obs=obs, var=var), "csc_int64_gzip.h5ad")
    write(AnnData(X.astype(np.float64), obs=obs, var=var), "dense_float64_lzf.h5ad", "lzf")
    write(AnnData(sp.csr_matrix(X.astype(np.int32)), obs=obs, var=var), "csr_int32_lzf.h5ad", "lzf")
    write(AnnData(reverse_row_order(sp.csr_matrix(X.astype(np.float32))), obs=obs, var=var),
          "csr_unsorted_indices.h5ad", None)

    # Counts elsewhere: X normalised, raw/X and layers/counts raw.
    norm = np.log1p(X / np.maximum(X.sum(axis=1, keepdims=True), 1) * 1e4).astype(np.float32)
    a = AnnData(sp.csr_matrix(norm), obs=obs, var=var)
    a.layers["counts"] = sp.csr_matrix(X.astype(np.int32))
    a.raw = AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var)
    write(a, "raw_and_layers.h5ad")

    # No n_counts column: computed from the counts of all genes.
    write(AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs.drop(columns=["n_counts"]), var=var),
          "no_n_counts.h5ad")

    # Gene IDs in the var index, no ensembl_id column.
    var_idx = pd.DataFrame(index=pd.Index(list(var["ensembl_id"])))
    write(AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=var_idx), "var_index_ids.h5ad")

    write_legacy(os.path.join(ATLAS_DIR, "legacy_categories.h5ad"), X, obs, var)
    return var, X, obs


def add_explicit_zero(csr, row, column):
    coo = csr.tocoo()
    rows = np.append(coo.row, row)
    cols = np.append(coo.col, column)
    vals = np.append(coo.data, 0).astype(csr.dtype)
    out = sp.csr_matrix((vals, (rows, cols)), shape=csr.shape)
    # csr_matrix() sums duplicates and may prune; rebuild with the zero kept explicitly.
    indptr, indices, data = [0], [], []
    dense = csr.toarray()
    for r in range(csr.shape[0]):
        cs = list(np.nonzero(dense[r])[0])
        if r == row and column not in cs:
            cs.append(column)
            cs.sort()
        indices += cs
        data += [dense[r, c] for c in cs]
        indptr.append(len(indices))
    out = sp.csr_matrix((np.array(data, dtype=csr.dtype), np.array(indices, dtype=np.int32),
                         np.array(indptr, dtype=np.int32)), shape=csr.shape)
    assert out.nnz == csr.nnz + 1
    return out


def reverse_row_order(csr):
    """Same matrix, each row's entries stored in descending column order (non-canonical CSR)."""
    data, indices = csr.data.copy(), csr.indices.copy()
    for r in range(csr.shape[0]):
        a, b = csr.indptr[r], csr.indptr[r + 1]
        data[a:b] = data[a:b][::-1]
        indices[a:b] = indices[a:b][::-1]
    out = sp.csr_matrix((data, indices, csr.indptr.copy()), shape=csr.shape)
    out.has_sorted_indices = False
    return out


def write_legacy(path, X, obs, var):
    """The anndata 0.7 layout: sparse matrices marked with h5sparse_* attributes, categorical obs
    columns as integer codes whose categories live in obs/__categories/<column>."""
    if os.path.exists(path):
        os.remove(path)
    csr = sp.csr_matrix(X.astype(np.float32))
    str_dt = h5py.special_dtype(vlen=str)
    with h5py.File(path, "w") as f:
        g = f.create_group("X")
        g.attrs["h5sparse_format"] = "csr"
        g.attrs["h5sparse_shape"] = np.array(X.shape)
        g.create_dataset("data", data=csr.data, compression="gzip")
        g.create_dataset("indices", data=csr.indices)
        g.create_dataset("indptr", data=csr.indptr)
        o = f.create_group("obs")
        o.attrs["_index"] = "index"
        o.attrs["column-order"] = np.array(["cell_type", "donor", "n_counts", "filter_pass"], dtype=object)
        o.attrs["encoding-type"] = "dataframe"
        o.attrs["encoding-version"] = "0.1.0"
        o.create_dataset("index", data=np.array(obs.index, dtype=object), dtype=str_dt)
        cats = o.create_group("__categories")
        cats.create_dataset("cell_type", data=np.array(obs["cell_type"].cat.categories, dtype=object), dtype=str_dt)
        codes = o.create_dataset("cell_type", data=obs["cell_type"].cat.codes.values.astype(np.int8))
        codes.attrs["categories"] = cats["cell_type"].ref
        o.create_dataset("donor", data=np.array(obs["donor"], dtype=object), dtype=str_dt)
        o.create_dataset("n_counts", data=obs["n_counts"].values)
        o.create_dataset("filter_pass", data=obs["filter_pass"].values)
        v = f.create_group("var")
        v.attrs["_index"] = "index"
        v.attrs["column-order"] = np.array(["ensembl_id"], dtype=object)
        v.attrs["encoding-type"] = "dataframe"
        v.attrs["encoding-version"] = "0.1.0"
        v.create_dataset("index", data=np.array(var.index, dtype=object), dtype=str_dt)
        v.create_dataset("ensembl_id", data=np.array(var["ensembl_id"], dtype=object), dtype=str_dt)


def write_bad(var, X, obs):
    os.makedirs(BAD_DIR, exist_ok=True)
    norm = X / np.maximum(X.sum(axis=1, keepdims=True), 1) * 1e4
    write(AnnData(sp.csr_matrix(norm.astype(np.float32)), obs=obs, var=var), "normalised.h5ad", folder=BAD_DIR)
    Xn = X.astype(np.float32)
    Xn[9, np.nonzero(Xn[9])[0][0]] = np.nan
    write(AnnData(sp.csr_matrix(Xn), obs=obs, var=var), "nan_value.h5ad", folder=BAD_DIR)
    Xi = X.astype(np.float32)
    Xi[12, np.nonzero(Xi[12])[0][0]] = np.inf
    write(AnnData(sp.csr_matrix(Xi), obs=obs, var=var), "inf_value.h5ad", folder=BAD_DIR)
    Xneg = X.astype(np.float32)
    Xneg[8, np.nonzero(Xneg[8])[0][0]] = -2
    write(AnnData(sp.csr_matrix(Xneg), obs=obs, var=var), "negative.h5ad", folder=BAD_DIR)
    dup = obs.copy()
    dup.index = [("cell%02d" % (i - 1) if i == 11 else n) for i, n in enumerate(dup.index)]
    write(AnnData(sp.csr_matrix(X.astype(np.float32)), obs=dup, var=var), "duplicate_cells.h5ad", folder=BAD_DIR)
    write_low_gene_match(var, X, obs)
    with h5py.File(os.path.join(BAD_DIR, "not_anndata.h5"), "w") as f:
        f.create_dataset("matrix", data=np.arange(12).reshape(3, 4))
    with open(os.path.join(BAD_DIR, "not_hdf5.h5ad"), "w") as f:
        f.write("cell_id,gene,count\nc1,ENSG00000000001,3\n")
    with open(os.path.join(ATLAS_DIR, "csr_float32_gzip.h5ad"), "rb") as f:
        whole = f.read()
    with open(os.path.join(BAD_DIR, "truncated.h5ad"), "wb") as f:
        f.write(whole[: len(whole) // 2])


# ---------------------------------------------------------------------------------------------
# The demo's sample atlas: real Geneformer V1 gene IDs, cell types with marker programmes.

MARKERS = {
    "T cell": ["CD3E", "CD3D", "CD2", "IL7R", "TRAC", "CD247", "LCK", "CD7"],
    "B cell": ["MS4A1", "CD79A", "CD79B", "CD19", "PAX5", "BANK1", "CD22", "FCRL1"],
    "monocyte": ["CD14", "LYZ", "FCN1", "S100A8", "S100A9", "CSF1R", "VCAN", "CD68"],
    "NK cell": ["NKG7", "GNLY", "KLRD1", "KLRF1", "PRF1", "GZMB", "NCAM1", "FCGR3A"],
}


def write_low_gene_match(var, X, obs):
    """Only 3 of the 30 vocabulary genes present, the others human-looking IDs of another release
    (another organism's IDs are refused before coverage is measured: field/mouse_ids.h5ad)."""
    low = var.copy()
    low["ensembl_id"] = [i if i in (gene(1), gene(2), gene(4)) else "ENSG7%010d" % n
                         for n, i in enumerate(var["ensembl_id"])]
    write(AnnData(sp.csr_matrix(X.astype(np.float32)), obs=obs, var=low), "low_gene_match.h5ad", folder=BAD_DIR)


def write_demo_atlas():
    with open(os.path.join(V1_VOCAB, "token_dictionary.pkl"), "rb") as f:
        tokens = pickle.load(f)
    with open(os.path.join(V1_VOCAB, "gene_name_id_dict.pkl"), "rb") as f:
        names = pickle.load(f)
    vocab_genes = sorted(k for k in tokens if k.startswith("ENSG"))
    rng = np.random.RandomState(2024)
    marker_ids = {ct: [names[s] for s in syms if s in names and names[s] in tokens] for ct, syms in MARKERS.items()}
    # Like a real atlas, the panel covers most of the vocabulary (here 60%), most genes rarely seen.
    panel = set(rng.choice(vocab_genes, int(0.6 * len(vocab_genes)), replace=False))
    for ids in marker_ids.values():
        panel.update(ids)
    panel = sorted(panel)
    extra = ["ENSG9%010d" % i for i in range(60)]  # features outside the vocabulary, as in real atlases
    ids = panel + extra
    col = {g: i for i, g in enumerate(ids)}
    n_cells = 2000
    types = list(MARKERS)
    cell_types = np.array(types)[rng.randint(0, len(types), n_cells)]
    base = rng.gamma(0.3, 1.0, len(ids))  # per-gene baseline expression: heavy-tailed
    rows, cols, vals = [], [], []
    for c in range(n_cells):
        depth = rng.lognormal(np.log(1200), 0.35)
        rate = base.copy()
        for g in marker_ids[cell_types[c]]:
            rate[col[g]] += 40.0 * base.mean() * len(ids) / 1000.0
        rate = rate / rate.sum() * depth
        counts = rng.poisson(rate)
        nz = np.nonzero(counts)[0]
        rows.extend([c] * len(nz))
        cols.extend(nz)
        vals.extend(counts[nz])
    X = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n_cells, len(ids)))
    X.sort_indices()
    symbol_of = {v: k for k, v in names.items()}
    var = pd.DataFrame({"ensembl_id": ids}, index=pd.Index(
        [symbol_of.get(g, g) + ("" if symbol_of.get(g) else "") for g in ids]))
    var.index = pd.Index(_unique(list(var.index)))
    donors = np.array(["D%d" % d for d in range(1, 7)])[rng.randint(0, 6, n_cells)]
    filter_pass = (rng.uniform(size=n_cells) > 0.02).astype(np.int64)
    obs = pd.DataFrame({
        "cell_type": pd.Categorical(cell_types),
        "donor": pd.Categorical(donors),
        "n_counts": np.asarray(X.sum(axis=1)).ravel().astype(np.float64),
        "filter_pass": filter_pass,
    }, index=pd.Index(["AAAC%05d-1" % i for i in range(n_cells)]))
    os.makedirs(DEMO_DIR, exist_ok=True)
    write(AnnData(X, obs=obs, var=var), "sample_atlas.h5ad", folder=DEMO_DIR)


def _unique(names):
    seen = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append("%s-%d" % (n, seen[n]))
        else:
            seen[n] = 0
            out.append(n)
    return out


def reference_tokens(var, X, obs, tokens, medians, mapping, special, n_counts=None):
    """An independent restatement of Geneformer's tokenizer for the golden
    files: map upper-cased IDs, sum collapsed columns, x / n_counts * 10000 / median, drop zeros,
    rank descending with ties in input gene order, frame with <cls>/<eos> for V2."""
    ids = [i.upper() for i in var["ensembl_id"]]
    gene_of = [mapping.get(i) if mapping is not None else (i if i in medians else None) for i in ids]
    first_col = {}
    for c, g in enumerate(gene_of):
        if g is not None and g not in first_col:
            first_col[g] = c
    out, dropped_filter, dropped_empty = {}, [], []
    for r, cell in enumerate(obs.index):
        if obs["filter_pass"].iloc[r] != 1:
            dropped_filter.append(cell)
            continue
        n = obs["n_counts"].iloc[r] if n_counts is None else n_counts[r]
        summed = {}
        for c, g in enumerate(gene_of):
            if g is not None and X[r, c] != 0:
                summed[g] = summed.get(g, 0) + X[r, c]
        ranked = [(-(float(x) / n * 10000 / medians[g]), first_col[g], g) for g, x in summed.items()]
        ranked = sorted(t for t in ranked if t[0] != 0)
        if not ranked:
            dropped_empty.append(cell)
            continue
        ids_out = [int(tokens[g]) for _, _, g in ranked]
        if special:
            ids_out = [int(tokens["<cls>"])] + ids_out[:4094] + [int(tokens["<eos>"])]
        else:
            ids_out = ids_out[:2048]
        out[cell] = ids_out
    return {"tokens": out, "dropped_filter_pass": dropped_filter, "dropped_empty": dropped_empty}


def write_expected(var, X, obs):
    """Golden values computed here, independently of the Java code: cells as anndata reads them,
    and the tokens a plain Python restatement of the algorithm gives."""
    import json
    cells = []
    for r, cell in enumerate(obs.index):
        nz = np.nonzero(X[r])[0]
        def plain(v):
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                return None
            return v.item() if hasattr(v, "item") else v
        cells.append({
            "cell_id": cell,
            "genes": [int(c) for c in nz],
            "counts": [float(X[r, c]) for c in nz],
            "obs": {k: plain(obs[k].iloc[r]) for k in obs.columns},
        })
    v2_tokens = {"<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3}
    v2_tokens.update({gene(k): 3 + k for k in range(1, N_GENES + 1)})
    v2_map = {gene(k): gene(k) for k in range(1, N_GENES + 1)}
    v2_map[ALIAS_OF_G03] = gene(3)
    v1_tokens = {"<pad>": 0, "<mask>": 1}
    v1_tokens.update({gene(k): 1 + k for k in range(1, N_GENES + 1)})
    computed = X.sum(axis=1).astype(np.float64)
    expected = {
        "cells": cells,
        "v2": reference_tokens(var, X, obs, v2_tokens, MEDIANS, v2_map, True),
        "v1": reference_tokens(var, X, obs, v1_tokens, MEDIANS, None, False),
        "v2_computed_n_counts": reference_tokens(var, X, obs, v2_tokens, MEDIANS, v2_map, True, computed),
    }
    with open(os.path.join(ATLAS_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def main():
    write_vocabularies()
    var, X, obs = write_atlases()
    write_expected(var, X, obs)
    write_bad(var, X, obs)
    write_demo_atlas()
    print("fixtures written under", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
