#!/usr/bin/env python3
"""PyTorch eager baseline for the perturb benchmark: upstream's per-cell loop (reference 5.3, 5.7;
InSilicoPerturber.isp_perturb_all, V1 delete, emb_mode "cell", no states), same weights and cells.

Cells longest first; per cell one unperturbed forward pass, then its n deletion copies (length
n-1, no padding) in slices of forward_batch_size, every hidden state computed (upstream asks for
output_hidden_states), layer -1 compared gene by gene with the original minus the deleted
position, the mean cosine recorded per perturbation.

    /usr/bin/python3 bench/perturb/pytorch_baseline.py [--batch 100] [--threads 2] [--cells N]
Prints one line: "pytorch_eager perturbations=... seconds=... perturbations_per_s=...".
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import blas_threads  # noqa: E402

blas_threads.limit(blas_threads.from_argv(sys.argv))  # before torch loads
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_inputs import CONFIG, OUT, fx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=100, help="forward_batch_size (upstream's default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cells", type=int, default=0, help="use only the first N cells")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = fx.Bert(CONFIG).eval()
    model.load_state_dict(torch.load(os.path.join(OUT, "model/weights.pt")))
    with open(os.path.join(OUT, "cells.txt")) as f:
        cells = [list(map(int, line.split())) for line in f]
    if a.cells:
        cells = cells[: a.cells]
    cells.sort(key=len, reverse=True)  # upstream's downsample_and_sort
    done = 0
    checksum = 0.0
    start = time.time()
    with torch.no_grad():
        for cell in cells:
            n = len(cell)
            ids = torch.tensor([cell])
            states = model(ids, torch.ones_like(ids))
            original = states[len(states) - 2][0]  # (n, h), emb_layer -1
            for s in range(0, n, a.batch):
                positions = list(range(s, min(n, s + a.batch)))
                batch = torch.tensor([cell[:i] + cell[i + 1:] for i in positions])
                out = model(batch, torch.ones_like(batch))
                perturbed = out[len(out) - 2]  # (b, n-1, h)
                keep = torch.stack([torch.cat([torch.arange(0, i), torch.arange(i + 1, n)]) for i in positions])
                compared = original[keep]  # the original without the deleted gene, (b, n-1, h)
                cos = torch.nn.functional.cosine_similarity(perturbed, compared, dim=2)
                checksum += float(cos.mean(dim=1).sum())
                done += len(positions)
    seconds = time.time() - start
    print("pytorch_eager perturbations=%d seconds=%.1f perturbations_per_s=%.3f threads=%d batch=%d checksum=%.6f torch=%s"
          % (done, seconds, done / seconds, a.threads, a.batch, checksum, torch.__version__))


if __name__ == "__main__":
    main()
