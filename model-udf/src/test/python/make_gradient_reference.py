#!/usr/bin/env python3
"""Gradients of the tiny V2 model's weights, computed by PyTorch autograd, for FusedBertGradientTest.

    /usr/bin/python3 model-udf/src/test/python/make_gradient_reference.py

Needs Debian's python3-torch (1.13). The model is make_model_fixtures.py's own BERT module (Hugging
Face's names and forward, nn.Linear / nn.LayerNorm / nn.Embedding), with the weights of the
committed tiny-v2/model.safetensors; the batch is reference.json's four V2 cells, right-padded.
Loss: the mean over real (unpadded) positions and hidden units of the last layer's hidden state
squared. Writes models/gradient_reference.json: the loss and the full gradients of three weights.
"""
import importlib.util
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "resources", "fixtures", "models")
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make_model_fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

WATCHED = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.LayerNorm.weight",
]


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(t["shape"])
    return out


def main():
    with open(os.path.join(MODELS, "tiny-v2", "config.json")) as f:
        c = json.load(f)
    model = fixtures.Bert(fixtures.Config(c["vocab_size"], c["hidden_act"], c["layer_norm_eps"]))
    weights = read_safetensors(os.path.join(MODELS, "tiny-v2", "model.safetensors"))
    model.load_state_dict({k[len("bert."):]: v for k, v in weights.items() if k.startswith("bert.")})
    with open(os.path.join(MODELS, "reference.json")) as f:
        cells = [cell["input_ids"] for cell in json.load(f)["tiny-v2"]["cells"]]
    longest = max(len(cell) for cell in cells)
    ids = torch.tensor([cell + [0] * (longest - len(cell)) for cell in cells])
    mask = torch.tensor([[1] * len(cell) + [0] * (longest - len(cell)) for cell in cells])
    last = model(ids, mask)[-1]
    real = mask.unsqueeze(-1).to(torch.float32)
    loss = (last.pow(2) * real).sum() / (real.sum() * last.shape[-1])
    loss.backward()
    params = dict(model.named_parameters())
    out = {"cells": cells, "loss": loss.item(),
           "gradients": {name: params[name].grad.reshape(-1).tolist() for name in WATCHED}}
    with open(os.path.join(MODELS, "gradient_reference.json"), "w") as f:
        json.dump(out, f)
    print("loss", loss.item())


if __name__ == "__main__":
    main()
