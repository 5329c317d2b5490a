#!/usr/bin/env python3
"""Makes the gene-classifier benchmark's inputs in bench/work/gene-classify/ (not committed):

  model/config.json, model/model.safetensors   a random gene classifier of Geneformer V1's shape
      (6 layers, hidden 256, 4 heads, intermediate 512, 2,048 positions, vocabulary 25,426, ReLU)
      as Hugging Face's BertForTokenClassification saves it: bert.* and a 2-class classifier
  model/weights.pt   the same weights as a PyTorch state dict, for pytorch_baseline.py
  cells.txt          CELLS tokenized cells, one per line, lengths 500-2,048 (no special tokens)

    /usr/bin/python3 bench/gene-classify/make_inputs.py [--cells 64]
Needs Debian's python3-torch.
"""
import argparse
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import v1_model  # noqa: E402
from v1_model import fx  # noqa: E402  (the safetensors writer)

OUT = os.path.join(ROOT, "bench/work/gene-classify")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=64)
    a = ap.parse_args()
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    g = torch.Generator().manual_seed(13)
    model = v1_model.random_model(g)
    state = {"bert." + k: v for k, v in model.state_dict().items() if not k.startswith("pooler.")}
    state["classifier.weight"] = 0.5 * torch.randn(2, 256, generator=g)
    state["classifier.bias"] = torch.zeros(2)
    fx.write_safetensors(os.path.join(OUT, "model/model.safetensors"), state)
    torch.save(state, os.path.join(OUT, "model/weights.pt"))
    config = v1_model.config().json("BertForTokenClassification")
    config["id2label"] = {"0": "insensitive", "1": "sensitive"}
    config["label2id"] = {"insensitive": 0, "sensitive": 1}
    with open(os.path.join(OUT, "model/config.json"), "w") as f:
        json.dump(config, f, indent=2)
    lengths = torch.randint(500, 2049, (a.cells,), generator=g)
    with open(os.path.join(OUT, "cells.txt"), "w") as f:
        for n in lengths.tolist():
            ids = torch.randperm(25_424, generator=g)[:n] + 2
            f.write(" ".join(map(str, ids.tolist())) + "\n")
    print("wrote", OUT, "mean length %.0f" % lengths.float().mean())


if __name__ == "__main__":
    main()
