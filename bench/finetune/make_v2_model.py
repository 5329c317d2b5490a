#!/usr/bin/env python3
"""Makes a random model of Geneformer V2-104M's shape for the LoRA memory benchmark (not committed):

  bench/work/v2-104m/config.json, model.safetensors   12 layers, hidden 768, 12 heads, intermediate
      3,072, 4,096 positions, vocabulary 20,275, GELU (V2-104M's config.json), weights drawn
      N(0, 0.02) as BERT initialises them (about 420 MB)

    /usr/bin/python3 bench/finetune/make_v2_model.py
Needs Debian's python3-torch. The cells come from bench/work/embed/cells.txt (ids below 20,275 kept).
"""
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

OUT = os.path.join(ROOT, "bench/work/v2-104m")


def main():
    os.makedirs(OUT, exist_ok=True)
    c = fx.Config(20_275, "gelu", 1e-12, hidden=768, layers=12, heads=12, intermediate=3072, max_positions=4096)
    model = fx.Bert(c)
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=g))
    fx.write_safetensors(os.path.join(OUT, "model.safetensors"),
                         {"bert." + k: v for k, v in model.state_dict().items()})
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(c.json("BertForMaskedLM"), f, indent=2)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
