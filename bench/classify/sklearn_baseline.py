#!/usr/bin/env python3
"""scikit-learn's way of doing what `cellspark classify` does, on the benchmark's embeddings:
multinomial LogisticRegression (lbfgs, 200 iterations) for each of the same four regularisation
strengths on the train donors, the best by validation macro-F1, then accuracy and macro-F1 on
the test donors. Same splits as Cellspark's (read from its splits.csv). With a cross-validation's
splits.csv (group,cells,fold,fold_1..fold_K: each donor's part in every fold) the same for every
fold, its test donors that fold's own, and the folds' mean test scores.

    /usr/bin/python3 bench/classify/sklearn_baseline.py WORK_DIR SPLITS_CSV
Prints "sklearn cells=... seconds=... test_accuracy=... test_macro_f1=..." (with folds, the means
over the folds, and folds=K).
"""
import csv
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import StandardScaler


def main():
    work, splits_csv = sys.argv[1], sys.argv[2]
    meta = np.fromfile(work + "/meta.i32", dtype="<i4")
    n, d = int(meta[0]), int(meta[1])
    x = np.fromfile(work + "/x.f32", dtype="<f4").reshape(n, d).astype(np.float64)
    y = np.fromfile(work + "/y.i32", dtype="<i4")
    donor = np.fromfile(work + "/donor.i32", dtype="<i4")
    with open(splits_csv) as f:
        rows = list(csv.DictReader(f))
    parts = sorted(k for k in rows[0] if k.startswith("fold_")) or ["split"]
    start = time.time()
    accuracy, macro_f1 = [], []
    for part in parts:
        split_of = {row["group"]: row[part] for row in rows}
        split = np.array([split_of["donor%d" % g] for g in donor])
        truth, predicted = fit_choose_predict(x, y, split)
        accuracy.append(accuracy_score(truth, predicted))
        macro_f1.append(f1_score(truth, predicted, average="macro"))
    seconds = time.time() - start
    print("sklearn cells=%d seconds=%.2f test_accuracy=%.4f test_macro_f1=%.4f%s"
          % (n, seconds, np.mean(accuracy), np.mean(macro_f1),
             "" if parts == ["split"] else " folds=%d" % len(parts)))


def fit_choose_predict(x, y, split):
    """The four strengths fitted on train, the best by validation macro-F1; test's truth and
    predictions."""
    scaler = StandardScaler().fit(x[split == "train"])  # MLlib standardises features too
    xs = scaler.transform(x)
    tr, va, te = split == "train", split == "validation", split == "test"
    best, best_f1 = None, -1.0
    for reg in (0.0, 1e-3, 1e-2, 1e-1):
        # MLlib's regParam is lambda on the mean loss; sklearn's C = 1 / (lambda * n_train).
        model = LogisticRegression(C=1e12 if reg == 0 else 1.0 / (reg * tr.sum()), max_iter=200)
        model.fit(xs[tr], y[tr])
        f1 = f1_score(y[va], model.predict(xs[va]), average="macro")
        if f1 > best_f1:
            best, best_f1 = model, f1
    return y[te], best.predict(xs[te])


if __name__ == "__main__":
    main()
