#!/usr/bin/env python3
"""Loom fixtures for the tokenizer, from the h5ad fixture classify_atlas.h5ad (written by
make_classify_atlas.py), so the same cells can be tokenized from both formats (loompy 3, which
writes the genes x cells matrix gzip-compressed in 64 x 64 chunks):

    /usr/bin/python3 spark-jobs/src/test/python/make_loom_fixtures.py

fixtures/loom/classify_atlas.loom     all 600 cells, float32; row_attrs ensembl_id + Gene;
    col_attrs CellID, n_counts, cell_type, donor (as Geneformer's loom inputs).
fixtures/loom/accession_filter.loom   the first 100 cells, int32; gene IDs in row_attrs Accession
    (loompy's convention); col_attrs filter_pass (1 for even cells, 0 for odd ones) and
    cell_type; no CellID and no n_counts (the reader names cells by column, the tokenizer sums);
    a layer "reversed" holding the same cells in reverse column order (for --counts layers/NAME).
fixtures/loom/no_gene_ids.loom        gene symbols only (row_attrs Gene): must be refused.
"""
import os

import anndata
import loompy
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIX, "loom")


def create(name, matrix, row_attrs, col_attrs):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.remove(path)
    loompy.create(path, matrix, row_attrs, col_attrs)


def main():
    a = anndata.read_h5ad(os.path.join(FIX, "atlas", "classify_atlas.h5ad"))
    os.makedirs(OUT, exist_ok=True)
    genes_x_cells = sp.csr_matrix(a.X).T.tocoo().astype(np.float32)
    ids = np.array(a.var["ensembl_id"], dtype=object)
    symbols = np.array(a.var_names, dtype=object)
    create("classify_atlas.loom", genes_x_cells,
           {"ensembl_id": ids, "Gene": symbols},
           {"CellID": np.array(a.obs_names, dtype=object), "n_counts": a.obs["n_counts"].to_numpy(),
            "cell_type": np.array(a.obs["cell_type"].astype(str), dtype=object),
            "donor": np.array(a.obs["donor"].astype(str), dtype=object)})
    first = sp.csr_matrix(a.X[:100]).T.tocoo().astype(np.int32)
    create("accession_filter.loom", first, {"Accession": ids},
           {"filter_pass": (np.arange(100) % 2 == 0).astype(np.int64),
            "cell_type": np.array(a.obs["cell_type"][:100].astype(str), dtype=object)})
    with loompy.connect(os.path.join(OUT, "accession_filter.loom")) as ds:
        ds.layers["reversed"] = sp.csr_matrix(first).toarray()[:, ::-1].astype(np.float32)
    create("no_gene_ids.loom", first, {"Gene": symbols}, {"CellID": np.array(a.obs_names[:100], dtype=object)})
    print("wrote", os.path.relpath(OUT), sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
