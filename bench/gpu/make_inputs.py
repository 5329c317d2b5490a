#!/usr/bin/env python3
"""Inputs of the GPU benchmark (bench/gpu/README.md), in WORK (not committed):

  WORK/<shape>/config.json, model.safetensors   random weights of a Geneformer shape, Hugging Face
                                                 names (bert. prefix), as a user's folder holds them
  WORK/<shape>/cells_<L>.txt                     cells of exactly L tokens (space-separated ids)
  WORK/<shape>/cells_mixed.txt                   cells of every length from 256 to the shape's
                                                 longest, as an atlas has them (the budget sweep)
  WORK/plan.json                                 what to measure: shape, lengths, precisions

    python3 bench/gpu/make_inputs.py WORK [--smoke] [--cells 256] [--shapes V1-10M,...]
--smoke: one tiny shape for checking the pipeline on a CPU; --shapes: only these shapes.
"""
import argparse
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402  (Hugging Face-named BERT parameters and the safetensors writer)

# name: layers, hidden, heads, intermediate, vocabulary, lengths
SHAPES = {
    "V1-10M": (6, 256, 4, 512, 25_426, [2048]),
    "V2-104M": (12, 768, 12, 3072, 20_275, [2048, 4096]),
    "V2-316M": (18, 1152, 18, 4608, 20_275, [4096]),
}
SMOKE = {"smoke": (2, 32, 4, 64, 1_000, [64, 128])}
# Fine-tuning runs: the cells' length and cells per batch (upstream Classifier's 12 a device).
FINETUNE = {"V1-10M": (2048, 12), "V2-104M": (4096, 12), "V2-316M": (4096, 12), "smoke": (128, 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--cells", type=int, default=256)
    ap.add_argument("--shapes", default="")
    a = ap.parse_args()
    shapes = SMOKE if a.smoke else SHAPES
    if a.shapes:
        shapes = {k: v for k, v in shapes.items() if k in a.shapes.split(",")}
    plan = []
    for name, (layers, hidden, heads, inter, vocab, lengths) in shapes.items():
        folder = os.path.join(a.work, name)
        os.makedirs(folder, exist_ok=True)
        cfg = fx.Config(vocab, "relu", 1e-12, hidden=hidden, layers=layers, heads=heads, intermediate=inter,
                        max_positions=max(lengths))
        # config.json is written last, after the weights are renamed into place: a run cut short
        # while writing leaves no folder that looks complete.
        if not os.path.exists(os.path.join(folder, "config.json")):
            model = fx.Bert(cfg)
            g = torch.Generator().manual_seed(11)
            with torch.no_grad():
                for n, p in model.named_parameters():
                    p.copy_((1.0 if "LayerNorm.weight" in n else 0.0) + 0.02 * torch.randn(p.shape, generator=g))
            fx.write_safetensors(os.path.join(folder, "model.safetensors.partial"),
                                 {"bert." + k: v for k, v in model.state_dict().items()})
            os.replace(os.path.join(folder, "model.safetensors.partial"), os.path.join(folder, "model.safetensors"))
            with open(os.path.join(folder, "config.json.partial"), "w") as f:
                json.dump({"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_act": "relu",
                           "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
                           "intermediate_size": inter, "max_position_embeddings": max(lengths), "vocab_size": vocab,
                           "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
                           "position_embedding_type": "absolute"}, f, indent=1)
            os.replace(os.path.join(folder, "config.json.partial"), os.path.join(folder, "config.json"))
        g = torch.Generator().manual_seed(5)
        for length in lengths:
            with open(os.path.join(folder, "cells_%d.txt" % length), "w") as f:
                for _ in range(a.cells if not a.smoke else 24):
                    f.write(" ".join(str(int(t)) for t in torch.randint(4, vocab, (length,), generator=g)) + "\n")
        g = torch.Generator().manual_seed(7)
        shortest = 16 if a.smoke else 256
        with open(os.path.join(folder, "cells_mixed.txt"), "w") as f:
            for _ in range(a.cells * 2 if not a.smoke else 48):
                n = int(torch.randint(shortest, max(lengths) + 1, (1,), generator=g))
                f.write(" ".join(str(int(t)) for t in torch.randint(4, vocab, (n,), generator=g)) + "\n")
        plan.append({"shape": name, "layers": layers, "hidden": hidden, "heads": heads, "intermediate": inter,
                     "lengths": lengths, "precisions": ["fp32", "fp16", "bf16"] if a.smoke else ["fp16", "bf16"],
                     "finetune": {"length": FINETUNE[name][0], "batch": FINETUNE[name][1]}})
    with open(os.path.join(a.work, "plan.json"), "w") as f:
        json.dump(plan, f, indent=1)
    print("inputs in", a.work, [p["shape"] for p in plan])


if __name__ == "__main__":
    main()
