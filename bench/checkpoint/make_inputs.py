#!/usr/bin/env python3
"""Makes the checkpoint benchmark's inputs in bench/work/checkpoint/ (not committed): one random
model of Geneformer V2-104M's shape (12 layers, hidden 768, 12 heads, intermediate 3,072, 4,096
positions, vocabulary 20,275, ReLU) as BertForMaskedLM saves it, twice:

  safetensors/config.json + model.safetensors   (the masked-LM decoder left out: it is tied)
  bin/config.json + pytorch_model.bin           torch.save of the state dict, the decoder tied to
                                                the word embeddings (one storage), position_ids

    /usr/bin/python3 bench/checkpoint/make_inputs.py
Needs Debian's python3-torch. About 420 MB each.
"""
import collections
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402  (our HF-named BERT module and safetensors writer)

OUT = os.path.join(ROOT, "bench/work/checkpoint")


def main():
    cfg = fx.Config(20_275, "relu", 1e-12, hidden=768, layers=12, heads=12, intermediate=3072,
                    max_positions=4096)
    model = fx.Bert(cfg)
    g = torch.Generator().manual_seed(7)
    state = collections.OrderedDict()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            state["bert." + name] = (1.0 if "LayerNorm.weight" in name else 0.0) + 0.02 * torch.randn(
                t.shape, generator=g)
        h = cfg.hidden_size
        state["cls.predictions.bias"] = torch.zeros(cfg.vocab_size)
        state["cls.predictions.transform.dense.weight"] = 0.02 * torch.randn(h, h, generator=g)
        state["cls.predictions.transform.dense.bias"] = torch.zeros(h)
        state["cls.predictions.transform.LayerNorm.weight"] = torch.ones(h)
        state["cls.predictions.transform.LayerNorm.bias"] = torch.zeros(h)
    config = cfg.json("BertForMaskedLM")
    for kind in ("safetensors", "bin"):
        os.makedirs(os.path.join(OUT, kind), exist_ok=True)
        with open(os.path.join(OUT, kind, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    fx.write_safetensors(os.path.join(OUT, "safetensors/model.safetensors"), state)
    tied = collections.OrderedDict(state)
    tied["bert.embeddings.position_ids"] = torch.arange(cfg.max_position_embeddings).expand((1, -1))
    tied["cls.predictions.decoder.weight"] = tied["bert.embeddings.word_embeddings.weight"]
    tied["cls.predictions.decoder.bias"] = tied["cls.predictions.bias"]
    torch.save(tied, os.path.join(OUT, "bin/pytorch_model.bin"))
    print("wrote", OUT, sum(t.numel() for t in state.values()), "parameters")


if __name__ == "__main__":
    main()
