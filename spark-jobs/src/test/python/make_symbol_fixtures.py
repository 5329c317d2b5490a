#!/usr/bin/env python3
"""An h5ad fixture whose gene table is keyed by gene symbols, for --gene-id-type symbol, from
classify_atlas.h5ad (written by make_classify_atlas.py) and the bundled V1 gene name dictionary:

    /usr/bin/python3 spark-jobs/src/test/python/make_symbol_fixtures.py

fixtures/atlas/classify_symbols.h5ad   the same 600 cells; var index = each gene's symbol
    (the alphabetically first symbol of its ID in gene_name_id_dict.pkl), or NOSYM_<k> for IDs
    without one; plus one more column repeating the first gene's symbol (its counts: column 0's
    again) and one with an unknown symbol. var column "ensembl_id" holds what the symbol path
    must arrive at: the ID for known symbols, NOSYM_<k> / NOT_A_SYMBOL for unknown ones, so
    tokenizing by ID and by symbol must give the same tokens.
fixtures/atlas/classify_symbols.json   the counts the symbol path must report.
"""
import json
import os
import pickle

import anndata
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..")
FIX = os.path.join(HERE, "..", "resources", "fixtures")
NAMES = os.path.join(ROOT, "model-udf", "src", "main", "resources", "org", "cellspark", "vocab", "geneformer-v1",
                     "gene_name_id_dict.pkl")


def main():
    a = anndata.read_h5ad(os.path.join(FIX, "atlas", "classify_atlas.h5ad"))
    with open(NAMES, "rb") as f:
        name_to_id = pickle.load(f)
    first_symbol = {}
    for symbol in sorted(name_to_id):
        first_symbol.setdefault(name_to_id[symbol], symbol)
    ids = list(a.var["ensembl_id"])
    symbols, ensembl = [], []
    missing = 0
    for gene in ids:
        s = first_symbol.get(gene)
        if s is None:
            s = "NOSYM_%d" % missing
            missing += 1
            ensembl.append(s)
        else:
            ensembl.append(gene)
        symbols.append(s)
    x = sp.csr_matrix(a.X)
    extra = sp.hstack([x, x[:, 0], sp.csr_matrix(np.ones((a.n_obs, 1), dtype=x.dtype))]).tocsr()
    symbols += [symbols[0], "NOT_A_SYMBOL"]
    ensembl += [ensembl[0], "NOT_A_SYMBOL"]
    var = pd.DataFrame({"ensembl_id": ensembl}, index=pd.Index(symbols, name="symbol"))
    out = anndata.AnnData(X=extra, obs=a.obs.copy(), var=var)
    out.obs["n_counts"] = np.asarray(extra.sum(axis=1)).ravel()
    out.write_h5ad(os.path.join(FIX, "atlas", "classify_symbols.h5ad"), compression="gzip")
    counts = {"symbols_matched": len(symbols) - missing - 1, "symbols_unmatched": missing + 1, "symbols_duplicated": 1,
              "duplicated_examples": [symbols[0]]}
    with open(os.path.join(FIX, "atlas", "classify_symbols.json"), "w") as f:
        json.dump(counts, f, indent=1)
    print(counts)


if __name__ == "__main__":
    main()
