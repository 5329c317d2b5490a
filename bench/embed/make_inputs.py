#!/usr/bin/env python3
"""Makes the embed benchmark's inputs in bench/work/embed/ (not committed):

  model/config.json, model/model.safetensors  a random model of Geneformer V1's shape: 6 layers,
      hidden 256, 4 heads, intermediate 512, 2,048 positions, vocabulary 25,426, ReLU
  model/weights.pt   the same weights as a PyTorch state dict, for pytorch_baseline.py
  cells.txt          200 tokenized cells, one per line (space-separated ids), lengths 500-2,048
                     drawn like V1 tokenizer output (no special tokens)

    /usr/bin/python3 bench/embed/make_inputs.py [--cells 200]
Needs Debian's python3-torch.
"""
import argparse
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import v1_model  # noqa: E402  (the V1-shaped model, our HF-named BERT module)
from v1_model import fx  # noqa: E402  (the safetensors writer)

OUT = os.path.join(ROOT, "bench/work/embed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=200)
    a = ap.parse_args()
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    g = torch.Generator().manual_seed(11)
    model = v1_model.random_model(g)
    fx.write_safetensors(os.path.join(OUT, "model/model.safetensors"), {"bert." + k: v for k, v in model.state_dict().items()})
    torch.save(model.state_dict(), os.path.join(OUT, "model/weights.pt"))
    import json
    with open(os.path.join(OUT, "model/config.json"), "w") as f:
        json.dump(v1_model.config().json("BertForMaskedLM"), f, indent=2)
    # Lengths: V1 cells are capped at 2,048 genes; atlases give a broad spread below the cap.
    lengths = torch.randint(500, 2049, (a.cells,), generator=g)
    with open(os.path.join(OUT, "cells.txt"), "w") as f:
        for n in lengths.tolist():
            ids = torch.randperm(25_424, generator=g)[:n] + 2
            f.write(" ".join(map(str, ids.tolist())) + "\n")
    print("wrote", OUT, "mean length %.0f" % lengths.float().mean())


if __name__ == "__main__":
    main()
