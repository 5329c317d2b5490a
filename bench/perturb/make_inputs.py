#!/usr/bin/env python3
"""Makes the perturb benchmark's inputs in bench/work/perturb/ (not committed):

  model/config.json, model/model.safetensors  a small random BERT: 4 layers, hidden 128, 4 heads,
      intermediate 512, 2,048 positions, Geneformer V1's vocabulary size (25,426), ReLU
  model/weights.pt   the same weights as a PyTorch state dict, for pytorch_baseline.py
  cells.txt          40 tokenized cells, one per line (space-separated V1 token ids), lengths 100-800

    /usr/bin/python3 bench/perturb/make_inputs.py [--cells 40]
Needs Debian's python3-torch.
"""
import argparse
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402  (our HF-named BERT module and safetensors writer)

OUT = os.path.join(ROOT, "bench/work/perturb")
CONFIG = fx.Config(25_426, "relu", 1e-12, hidden=128, layers=4, heads=4, intermediate=512, max_positions=2048)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=40)
    a = ap.parse_args()
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    model = fx.Bert(CONFIG).eval()
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_((1.0 if "LayerNorm.weight" in name else 0.0) + 0.02 * torch.randn(p.shape, generator=g))
    fx.write_safetensors(os.path.join(OUT, "model/model.safetensors"), {"bert." + k: v for k, v in model.state_dict().items()})
    torch.save(model.state_dict(), os.path.join(OUT, "model/weights.pt"))
    with open(os.path.join(OUT, "model/config.json"), "w") as f:
        json.dump(CONFIG.json("BertForMaskedLM"), f, indent=2)
    lengths = torch.randint(100, 801, (a.cells,), generator=g)
    with open(os.path.join(OUT, "cells.txt"), "w") as f:
        for n in lengths.tolist():
            ids = torch.randperm(25_424, generator=g)[:n] + 2  # V1 genes are tokens 2..25,425
            f.write(" ".join(map(str, ids.tolist())) + "\n")
    print("wrote", OUT, "cells", a.cells, "mean length %.0f" % lengths.float().mean(),
          "perturbations", int(lengths.sum()))


if __name__ == "__main__":
    main()
