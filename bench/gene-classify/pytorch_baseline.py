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

import v1_model  # noqa: E402  (after blas_threads: it loads torch)

ROOT = v1_model.ROOT

WORK = os.path.join(ROOT, "bench/work/gene-classify")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = v1_model.model()
    state = torch.load(os.path.join(WORK, "model/weights.pt"))
    model.load_state_dict({k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")}, strict=False)
    classifier = torch.nn.Linear(256, 2)
    classifier.load_state_dict({"weight": state["classifier.weight"], "bias": state["classifier.bias"]})
    with open(os.path.join(WORK, "cells.txt")) as f:
        cells = [list(map(int, line.split())) for line in f]
    vocabulary = v1_model.config().vocab_size
    sums = torch.zeros((vocabulary, 2), dtype=torch.float64)
    counts = torch.zeros(vocabulary, dtype=torch.float64)
    start = time.time()
    with torch.no_grad():
        for idx, ids, mask in v1_model.padded_slices(cells, a.batch):
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
