#!/usr/bin/env python3
"""Reference values for the statistics under `cellspark stats`, from the libraries Geneformer's
InSilicoPerturberStats uses, independent of the Java code:

    /usr/bin/python3 spark-jobs/src/test/python/make_stats_reference.py

Needs Debian's python3-scipy, python3-statsmodels and python3-sklearn. Writes
spark-jobs/src/test/resources/fixtures/stats/tests.json:

  ranksums: [{x, y, statistic, pvalue}]   scipy.stats.ranksums(x, y) (two-sided)
  fdr:      [{p, fdr}]                    statsmodels multipletests(p, method="fdr_bh")
  mixture:  [{values, means, weights, variances, predict}]
            sklearn GaussianMixture(n_components=2, random_state=0) on 1-D values; the parameters
            of the fully converged fit (tol 1e-12) with components ordered by mean, and
            predict() of the upstream default fit (tol 1e-3) mapped to that order.
  jobs:     whole `cellspark stats` tables over the perturbation screens of
            fixtures/perturb/job_reference.json (PyTorch values, see make_perturb_job_reference.py),
            computed here with upstream's InSilicoPerturberStats semantics;
            rows in upstream's sort order.
"""
import json
import os
import pickle
import statistics

import numpy as np
from scipy import stats
from sklearn.mixture import GaussianMixture
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "fixtures", "stats", "tests.json")
JOBS = os.path.join(HERE, "..", "resources", "fixtures", "perturb", "job_reference.json")
ATLAS = os.path.join(HERE, "..", "resources", "fixtures", "atlas", "expected.json")
VOCAB = os.path.join(HERE, "..", "..", "..", "..", "model-udf", "src", "test", "resources", "fixtures", "vocab-v2-small")


def ranksum_cases(rng):
    cases = []

    def add(x, y):
        r = stats.ranksums(x, y)
        cases.append({"x": [float(v) for v in x], "y": [float(v) for v in y],
                      "statistic": float(r.statistic), "pvalue": float(r.pvalue)})

    add([1.0, 2.0, 3.0], [4.0, 5.0])                                  # hand-sized, no ties
    add([1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0])                    # ties across both samples
    add(rng.normal(0, 1, 500), rng.normal(0.1, 1, 40))                 # a small shift
    add(rng.normal(0, 1, 2000), rng.normal(-1.5, 0.5, 300))            # a strong shift: tiny p
    add(np.round(rng.normal(0, 1, 1000), 1), np.round(rng.normal(0.2, 1, 100), 1))  # many ties
    add(rng.normal(0, 1, 50), rng.normal(0, 1, 50))                    # no shift
    add(rng.normal(0, 1, 5000), rng.normal(3, 0.3, 200))               # p far in the tail
    add([0.5] * 20, [0.5] * 3)                                         # all tied: z = 0
    add(rng.normal(0, 1, 1), rng.normal(0, 1, 7))                      # one value
    return cases


def fdr_cases(rng):
    cases = []
    for p in (
        [0.01, 0.04, 0.03, 0.005, 0.2, 0.9],
        [0.5, 0.5, 0.5, 0.01, 0.01],                                  # ties
        list(rng.uniform(0, 1, 300)),
        list(np.concatenate([rng.uniform(0, 1e-6, 20), rng.uniform(0, 1, 200)])),
        [1e-300, 1e-200, 0.04, 0.049, 0.051, 1.0],
        [0.3],
    ):
        fdr = multipletests(np.asarray(p), method="fdr_bh")[1]
        cases.append({"p": [float(v) for v in p], "fdr": [float(v) for v in fdr]})
    return cases


def mixture_cases(rng):
    cases = []
    for values in (
        np.concatenate([rng.normal(0.99, 0.003, 300), rng.normal(0.95, 0.01, 60)]),   # cosine-like
        np.concatenate([rng.normal(-0.02, 0.01, 80), rng.normal(0.05, 0.02, 120)]),   # shift-like
    ):
        x = values.reshape(-1, 1)
        full = GaussianMixture(n_components=2, random_state=0, tol=1e-12, max_iter=100000).fit(x)
        default = GaussianMixture(n_components=2, random_state=0).fit(x)
        order = np.argsort(full.means_[:, 0])
        default_order = np.argsort(default.means_[:, 0])
        rank = np.empty(2, dtype=int)
        rank[default_order] = np.arange(2)
        cases.append({
            "values": [float(v) for v in values],
            "means": [float(full.means_[i, 0]) for i in order],
            "variances": [float(full.covariances_[i, 0, 0]) for i in order],
            "weights": [float(full.weights_[i]) for i in order],
            "predict": [int(rank[c]) for c in default.predict(x)],
        })
    return cases


def names():
    """token -> (Ensembl ID, symbol) of the fixture V2 vocabulary."""
    with open(os.path.join(VOCAB, "token_dictionary_gc104M.pkl"), "rb") as f:
        tokens = pickle.load(f)
    with open(os.path.join(VOCAB, "gene_name_id_dict_gc104M.pkl"), "rb") as f:
        symbols = {v: k for k, v in pickle.load(f).items()}
    return {t: (g, symbols.get(g)) for g, t in tokens.items() if g.startswith("ENSG")}


def key(genes):
    return "+".join(str(g) for g in genes)


def fdr_bh(p):
    return [float(v) for v in multipletests(np.asarray(p), method="fdr_bh")[1]]


def by_gene(rows, value):
    out = {}
    for r in rows:
        out.setdefault(key(r[1]), []).append(value(r))
    return out


def goal_state_shift(rows, goal, alts, tested):
    """Rows [cell, genes, cosine, shifts]; shifts index goal, then alts. Reference 6.3."""
    states = [goal] + alts
    values = [by_gene(rows, lambda r, s=s: r[3][s]) for s in states]
    genes = sorted(values[0])
    table = []
    for g in genes:
        row = {"Gene": g, "Shift_to_goal_end": statistics.fmean(values[0][g])}
        for i, s in enumerate(alts, start=1):
            row["Shift_to_alt_end_%d" % i] = statistics.fmean(values[i][g])
        row["N_Detections"] = len(values[0][g])
        table.append(row)
    if not tested:
        table.sort(key=lambda r: -r["Shift_to_goal_end"])
        return table
    for i in range(len(states)):
        pool = [v for g in genes for v in values[i][g]]  # every gene's shifts, its own included
        p = [float(stats.ranksums(pool, values[i][g]).pvalue) for g in genes]
        q = fdr_bh(p)
        for row, pv, qv in zip(table, p, q):
            row["pval_%d" % i], row["fdr_%d" % i] = pv, qv
    for row in table:
        row["Sig"] = 1 if row["fdr_0"] < 0.05 else 0
    table.sort(key=lambda r: (-r["Sig"], -r["Shift_to_goal_end"], r["fdr_0"]))
    return table


def mixture_model(rows):
    """Reference 6.5 with the components ordered by mean; the fit converged (tol 1e-12)."""
    values = by_gene(rows, lambda r: r[2])
    genes = sorted(values)
    means = np.array([statistics.fmean(values[g]) for g in genes])
    gmm = GaussianMixture(n_components=2, random_state=0, tol=1e-12, max_iter=100000).fit(means.reshape(-1, 1))
    lo, hi = np.argsort(gmm.means_[:, 0])

    def impact(v):
        if v > gmm.means_[hi, 0]:
            return 0
        if v < gmm.means_[lo, 0]:
            return 1
        return 1 if gmm.predict([[v]])[0] == lo else 0

    table = [{"Gene": g, "Test_avg_shift": float(m), "Impact_component": impact(m),
              "Impact_component_percent": 100.0 * sum(impact(v) for v in values[g]) / len(values[g]),
              "N_Detections": len(values[g])} for g, m in zip(genes, means)]
    table.sort(key=lambda r: (-r["Impact_component"], r["Test_avg_shift"]))
    return table, sorted(float(m) for m in gmm.means_[:, 0])


def vs_null(test_rows, null_rows):
    """Reference 6.4 on cosine similarities."""
    test, null = by_gene(test_rows, lambda r: r[2]), by_gene(null_rows, lambda r: r[2])
    genes = sorted(test)
    table = []
    for g in genes:
        t, n = test[g], null.get(g, [])
        p = float(stats.ranksums(t, n).pvalue) if n else float("nan")
        table.append({"Gene": g, "Test_avg_shift": statistics.fmean(t),
                      "Null_avg_shift": statistics.fmean(n) if n else float("nan"),
                      "Test_vs_null_pval": 1.0 if p != p else p,
                      "N_Detections_test": len(t), "N_Detections_null": len(n)})
    for row, q in zip(table, fdr_bh([r["Test_vs_null_pval"] for r in table])):
        row["Test_vs_null_avg_shift"] = row["Test_avg_shift"] - row["Null_avg_shift"]
        row["Test_vs_null_FDR"] = q
        row["Sig"] = 1 if q < 0.05 else 0
    table.sort(key=lambda r: (-r["Sig"], -r["Test_vs_null_avg_shift"] if r["Test_vs_null_avg_shift"] == r["Test_vs_null_avg_shift"] else float("inf"), r["Test_vs_null_FDR"]))
    return table


def aggregate_gene_shifts(rows, pairs):
    """Reference 6.6: cell_emb rows (from the cell-level values), then every pair; ascending mean."""
    cells = by_gene(rows, lambda r: r[2])
    table = [{"Perturbed": g, "Affected": "cell_emb", "Cosine_sim_mean": statistics.fmean(v),
              "Cosine_sim_stdev": statistics.pstdev(v), "N_Detections": len(v)} for g, v in cells.items()]
    table += [{"Perturbed": key(p[0]), "Affected": str(p[1]), "Cosine_sim_mean": p[2], "Cosine_sim_stdev": p[3],
               "N_Detections": p[4]} for p in pairs]
    table.sort(key=lambda r: (r["Affected"] != "cell_emb", r["Cosine_sim_mean"]))
    return table


def job_cases():
    with open(JOBS) as f:
        jobs = json.load(f)
    with open(ATLAS) as f:
        labels = {c["cell_id"]: c["obs"]["cell_type"] for c in json.load(f)["cells"]}
    named = names()
    out = {}
    # Screens with states [monocyte (start), B cell (goal), T cell (alt)]: shift columns in that order.
    out["goal_state_shift_all"] = goal_state_shift(jobs["overexpress_all_cls_states"]["rows"], 1, [2], True)
    out["goal_state_shift_list"] = goal_state_shift(jobs["delete_each_mean_states"]["rows"], 1, [2], False)
    table, means = mixture_model(jobs["delete_all_mean"]["rows"])
    out["mixture_model"] = table
    out["mixture_model_means"] = means
    rows = jobs["delete_all_mean"]["rows"]
    # Test: the screen's B cells (--filter cell_type=B cell); null: its monocytes and T cells.
    out["vs_null"] = vs_null([r for r in rows if labels[r[0]] == "B cell"],
                             [r for r in rows if labels[r[0]] in ("monocyte", "T cell")])
    out["aggregate_gene_shifts"] = aggregate_gene_shifts(rows, jobs["delete_all_mean"]["gene_shifts"])
    group = jobs["overexpress_group_mean"]["rows"]
    out["aggregate_data"] = [{"cell_id": r[0], "Cosine_sim": r[2], "Gene": "+".join(named[g][1] or named[g][0] for g in r[1])}
                             for r in sorted(group, key=lambda r: r[0])]
    out["names"] = {str(t): list(v) for t, v in named.items()}
    return out


def main():
    rng = np.random.default_rng(7)
    out = {"ranksums": ranksum_cases(rng), "fdr": fdr_cases(rng), "mixture": mixture_cases(rng), "jobs": job_cases()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.relpath(OUT), {k: len(v) for k, v in out.items()})


if __name__ == "__main__":
    main()
