#!/usr/bin/env python3
"""Upstream's goal_state_shift statistics (InSilicoPerturberStats, reference 6.3) in plain Python
with SciPy and statsmodels, on the benchmark's synthetic screen: the pool of every goal-state
shift, random.seed(42) + random.sample(pool, 100000) when larger, then per gene
ranksums(pool, shifts), the mean shift, BH FDR over genes, the sort. Upstream does the same with
pandas around it; the per-gene loop over scipy's ranksums is where its time goes.

    /usr/bin/python3 bench/stats/upstream_baseline.py WORK_DIR
Reads WORK_DIR/genes.i32 and WORK_DIR/goal.f64 (one entry per perturbed cell); prints one line:
"upstream genes=... values=... seconds=... checksum=...".
"""
import random
import sys
import time

import numpy as np
from scipy.stats import ranksums
from statsmodels.stats.multitest import multipletests


def main():
    work = sys.argv[1]
    genes = np.fromfile(work + "/genes.i32", dtype="<i4")
    goal = np.fromfile(work + "/goal.f64", dtype="<f8")
    start = time.time()
    by_gene = {}
    for g, v in zip(genes.tolist(), goal.tolist()):
        by_gene.setdefault(g, []).append(v)
    pool = [v for g in sorted(by_gene) for v in by_gene[g]]
    if len(pool) > 100_000:
        random.seed(42)
        pool = random.sample(pool, 100_000)
    rows = []
    for g in sorted(by_gene):
        shifts = by_gene[g]
        rows.append((g, float(np.mean(shifts)), float(ranksums(pool, shifts).pvalue), len(shifts)))
    fdr = multipletests([r[2] for r in rows], method="fdr_bh")[1]
    table = sorted(((r[0], r[1], r[2], q, r[3], int(q < 0.05)) for r, q in zip(rows, fdr)),
                   key=lambda r: (-r[5], -r[1], r[3]))
    seconds = time.time() - start
    print("upstream genes=%d values=%d seconds=%.2f significant=%d checksum=%.9f"
          % (len(table), len(goal), seconds, sum(r[5] for r in table), sum(r[1] for r in table)))


if __name__ == "__main__":
    main()
