#!/usr/bin/env python3
"""One fine-tuning step of the tiny V2 model, by PyTorch, for TrainingStepTest.

    /usr/bin/python3 model-udf/src/test/python/make_training_step_reference.py

Needs Debian's python3-torch (1.13). The encoder is make_model_fixtures.py's nn.Module BERT with
the committed tiny-v2 weights; on top, the head Cellspark fine-tunes: the mean of each cell's gene
tokens' last hidden states (<cls>, <eos> and padding left out), then a linear layer (its weights
seeded here and written out, so both sides start from them), no dropout. Loss: cross-entropy with
class weights. Optimizer: torch.optim.AdamW as Hugging Face's Trainer sets it up (weight decay on
every weight but biases and LayerNorm weights). Writes models/training_step_reference.json: the
batch, the head's initial weights, the settings, the loss, and after one step the logits' loss
gradients' and updated values of a few weights.
"""
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "resources", "fixtures", "models")
spec = importlib.util.spec_from_file_location("gradients", os.path.join(HERE, "make_gradient_reference.py"))
gradients = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gradients)
fixtures = gradients.fixtures

WATCHED = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.LayerNorm.weight",
    "encoder.layer.1.output.dense.bias",
    "head.weight",
    "head.bias",
]
SETTINGS = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1,
            "class_weights": [1.0, 2.5], "labels": [0, 1, 1, 0], "cls_id": 2, "eos_id": 3}


def main():
    with open(os.path.join(MODELS, "tiny-v2", "config.json")) as f:
        c = json.load(f)
    model = fixtures.Bert(fixtures.Config(c["vocab_size"], c["hidden_act"], c["layer_norm_eps"]))
    weights = gradients.read_safetensors(os.path.join(MODELS, "tiny-v2", "model.safetensors"))
    model.load_state_dict({k[len("bert."):]: v for k, v in weights.items() if k.startswith("bert.")})
    g = torch.Generator().manual_seed(7)
    head = torch.nn.Linear(c["hidden_size"], 2)
    with torch.no_grad():
        head.weight.copy_(0.1 * torch.randn(head.weight.shape, generator=g))
        head.bias.copy_(0.1 * torch.randn(head.bias.shape, generator=g))
    initial_head = {"weight": head.weight.reshape(-1).tolist(), "bias": head.bias.tolist()}

    with open(os.path.join(MODELS, "reference.json")) as f:
        cells = [cell["input_ids"] for cell in json.load(f)["tiny-v2"]["cells"]]
    longest = max(len(cell) for cell in cells)
    ids = torch.tensor([cell + [0] * (longest - len(cell)) for cell in cells])
    mask = torch.tensor([[1] * len(cell) + [0] * (longest - len(cell)) for cell in cells])
    genes = mask.clone()
    for i, cell in enumerate(cells):  # <cls> first and <eos> last are not genes
        if cell[0] == SETTINGS["cls_id"]:
            genes[i, 0] = 0
        if cell[-1] == SETTINGS["eos_id"]:
            genes[i, len(cell) - 1] = 0

    named = {**{n: p for n, p in model.named_parameters()}, **{"head." + n: p for n, p in head.named_parameters()}}
    decay = [p for n, p in named.items() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in named.items() if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": SETTINGS["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=SETTINGS["lr"], betas=tuple(SETTINGS["betas"]), eps=SETTINGS["eps"])

    last = model(ids, mask)[-1]
    w = genes.unsqueeze(-1).to(torch.float32)
    pooled = (last * w).sum(1) / w.sum(1)
    logits = head(pooled)
    loss = F.cross_entropy(logits, torch.tensor(SETTINGS["labels"]),
                           weight=torch.tensor(SETTINGS["class_weights"]))
    opt.zero_grad()
    loss.backward()
    grads = {n: named[n].grad.reshape(-1).tolist() for n in WATCHED}
    opt.step()
    out = {"cells": cells, "settings": SETTINGS, "initial_head": initial_head, "loss": loss.item(),
           "logits": logits.tolist(), "gradients": grads,
           "updated": {n: named[n].detach().reshape(-1).tolist() for n in WATCHED}}
    with open(os.path.join(MODELS, "training_step_reference.json"), "w") as f:
        json.dump(out, f)
    print("loss", loss.item())


if __name__ == "__main__":
    main()
