#!/usr/bin/env python3
"""PyTorch eager baseline for the gene-classifier benchmark: the same weights and cells, as
upstream's gene classifier evaluation runs them (cells sorted by length, slices of
forward_batch_size padded to each slice's longest, the last hidden state through the classifier,
softmax per token), every gene's probabilities summed over its occurrences (torch.index_add_).

    /usr/bin/python3 bench/gene-classify/pytorch_baseline.py [--batch 10] [--threads 2]
Prints "pytorch_eager cells=... seconds=... cells_per_s=..." and the mean probabilities of the
first genes, "gene TOKEN P0 P1", for the Java side to compare with its own.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import blas_threads  # noqa: E402

blas_threads.limit(blas_threads.from_argv(sys.argv))  # before torch loads
import torch  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

WORK = os.path.join(ROOT, "bench/work/gene-classify")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = fx.Config(25_426, "relu", 1e-12, hidden=256, layers=6, heads=4, intermediate=512, max_positions=2048)
    model = fx.Bert(cfg).eval()
    state = torch.load(os.path.join(WORK, "model/weights.pt"))
    model.load_state_dict({k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")}, strict=False)
    classifier = torch.nn.Linear(256, 2)
    classifier.load_state_dict({"weight": state["classifier.weight"], "bias": state["classifier.bias"]})
    with open(os.path.join(WORK, "cells.txt")) as f:
        cells = [list(map(int, line.split())) for line in f]
    order = sorted(range(len(cells)), key=lambda i: -len(cells[i]))
    sums = torch.zeros((cfg.vocab_size, 2), dtype=torch.float64)
    counts = torch.zeros(cfg.vocab_size, dtype=torch.float64)
    start = time.time()
    with torch.no_grad():
        for s in range(0, len(order), a.batch):
            idx = order[s:s + a.batch]
            longest = max(len(cells[i]) for i in idx)
            ids = torch.zeros((len(idx), longest), dtype=torch.long)
            mask = torch.zeros((len(idx), longest), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, :len(cells[i])] = torch.tensor(cells[i])
                mask[r, :len(cells[i])] = 1
            last = model(ids, mask)[-1]
            p = torch.softmax(classifier(last), dim=-1).double()
            real = mask.bool()
            sums.index_add_(0, ids[real], p[real])
            counts.index_add_(0, ids[real], torch.ones(int(real.sum()), dtype=torch.float64))
    seconds = time.time() - start
    print("pytorch_eager cells=%d seconds=%.1f cells_per_s=%.3f threads=%d batch=%d torch=%s"
          % (len(cells), seconds, len(cells) / seconds, a.threads, a.batch, torch.__version__))
    seen = (counts > 0).nonzero().flatten()[:200]
    for t in seen.tolist():
        m = sums[t] / counts[t]
        print("gene %d %.8f %.8f" % (t, m[0], m[1]))


if __name__ == "__main__":
    main()
