#!/usr/bin/env python3
"""PyTorch eager baseline for the embed benchmark: the same weights and cells, upstream-style.

Upstream's EmbExtractor sorts cells by length (longest first), runs fixed slices of
forward_batch_size cells padded to each slice's longest, asks for every hidden state and
mean-pools layer -1 over the real tokens. This does the same with our HF-named BERT module
(make_model_fixtures.Bert, the forward Hugging Face's BertModel runs).

    /usr/bin/python3 bench/embed/pytorch_baseline.py [--batch 10] [--threads 2] [--cells N]
Prints one line: "pytorch_eager cells=... seconds=... cells_per_s=...".
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

WORK = os.path.join(ROOT, "bench/work/embed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10, help="forward_batch_size (upstream default 100 needs ~7 GB per batch at 2,048 tokens)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cells", type=int, default=0, help="use only the first N cells")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = v1_model.model()
    model.load_state_dict(torch.load(os.path.join(WORK, "model/weights.pt")))
    with open(os.path.join(WORK, "cells.txt")) as f:
        cells = [list(map(int, line.split())) for line in f]
    if a.cells:
        cells = cells[: a.cells]
    start = time.time()
    pooled = {}
    with torch.no_grad():
        for idx, ids, mask in v1_model.padded_slices(cells, a.batch):
            states = model(ids, mask)
            layer = states[len(states) - 2]  # emb_layer -1
            for r, i in enumerate(idx):
                pooled[i] = layer[r, :len(cells[i])].mean(dim=0)
    seconds = time.time() - start
    print("pytorch_eager cells=%d seconds=%.1f cells_per_s=%.3f threads=%d batch=%d torch=%s"
          % (len(cells), seconds, len(cells) / seconds, a.threads, a.batch, torch.__version__))


if __name__ == "__main__":
    main()
