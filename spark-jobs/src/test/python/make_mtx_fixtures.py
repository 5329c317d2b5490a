#!/usr/bin/env python3
"""Matrix Market fixtures for the tokenizer, from the h5ad fixture classify_atlas.h5ad (written
by make_classify_atlas.py), so that the same cells can be tokenized from both formats:

    /usr/bin/python3 spark-jobs/src/test/python/make_mtx_fixtures.py

fixtures/mtx/classify_10x/  matrix.mtx.gz (genes x cells, as Cell Ranger), features.tsv.gz
    (ID, symbol, "Gene Expression"; plus one "Antibody Capture" feature with counts, which the
    reader must leave out), barcodes.tsv.gz; cells in the h5ad's order.
fixtures/mtx/bad_dims/      a matrix whose header says more cells than barcodes.tsv has.
fixtures/mtx/truncated/     matrix.mtx.gz cut in half.
fixtures/mtx/out_of_range/  an entry beyond the declared genes.
"""
import gzip
import io
import os
import shutil

import anndata
import numpy as np
import scipy.io
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIX, "mtx")


def write_gz(path, data):
    # mtime 0: the same bytes on every run
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(data)


def mtx_bytes(matrix):
    buf = io.BytesIO()
    scipy.io.mmwrite(buf, matrix, field="integer")
    return buf.getvalue()


def main():
    a = anndata.read_h5ad(os.path.join(FIX, "atlas", "classify_atlas.h5ad"))
    x = sp.csr_matrix(a.X).astype(np.int64)
    rng = np.random.RandomState(3)
    antibody = sp.csr_matrix(rng.poisson(5.0, (a.n_obs, 1)))
    genes_x_cells = sp.hstack([x, antibody]).T.tocoo()
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    folder = os.path.join(OUT, "classify_10x")
    os.makedirs(folder)
    write_gz(os.path.join(folder, "matrix.mtx.gz"), mtx_bytes(genes_x_cells))
    features = "".join("%s\t%s\tGene Expression\n" % (g, s) for g, s in zip(a.var["ensembl_id"], a.var_names))
    features += "CD3_TotalSeqB\tCD3\tAntibody Capture\n"
    write_gz(os.path.join(folder, "features.tsv.gz"), features.encode())
    write_gz(os.path.join(folder, "barcodes.tsv.gz"), "".join(c + "\n" for c in a.obs_names).encode())

    small = sp.coo_matrix(np.array([[1, 0, 2], [0, 3, 0]]))  # 2 genes x 3 cells
    for name in ("bad_dims", "truncated", "out_of_range"):
        os.makedirs(os.path.join(OUT, name))
        with open(os.path.join(OUT, name, "features.tsv"), "w") as f:
            f.write("ENSG00000000001\tA\tGene Expression\nENSG00000000002\tB\tGene Expression\n")
    with open(os.path.join(OUT, "bad_dims", "matrix.mtx"), "wb") as f:
        f.write(mtx_bytes(small))
    with open(os.path.join(OUT, "bad_dims", "barcodes.tsv"), "w") as f:
        f.write("c1\nc2\n")  # the matrix has 3 cells
    whole = gzip.compress(mtx_bytes(sp.random(2, 3000, density=0.9, random_state=1, format="coo") * 10), mtime=0)
    with open(os.path.join(OUT, "truncated", "matrix.mtx.gz"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(OUT, "truncated", "barcodes.tsv"), "w") as f:
        f.write("".join("t%d\n" % i for i in range(3000)))
    text = mtx_bytes(small).decode().replace("\n2 2 3\n", "\n5 2 3\n")  # gene row 5 of 2
    with open(os.path.join(OUT, "out_of_range", "matrix.mtx"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "out_of_range", "barcodes.tsv"), "w") as f:
        f.write("c1\nc2\nc3\n")
    print("wrote", os.path.relpath(OUT), sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
