#!/usr/bin/env python3
"""One LoRA fine-tuning step of the tiny V2 model, by PyTorch, for LoraStepTest.

    /usr/bin/python3 model-udf/src/test/python/make_lora_step_reference.py

Needs Debian's python3-torch (1.13). The model is make_training_step_reference.py's (the tiny-v2
encoder as make_model_fixtures.py's nn.Module, the mean-pooled linear head, weighted cross-entropy,
the Trainer's AdamW after clipping the gradients' global norm), with LoRA adapters written here as
peft's LoRA Linear computes them, on every layer's query and value projections:

    y = W x + b + (B (A dropout(x))) * alpha / r

with the checkpoint's weights frozen (requires_grad False) and only the adapters and the head in the
optimizer, as upstream Classifier trains with quantize (peft's get_peft_model). B is random here,
not zero as peft starts it, so that A's gradient is not zero; both sides start from the values
written out. Writes models/lora_step_reference.json: the settings, the adapters' and the head's
starting values, the loss, the adapters' and head's gradients, the norm, and their values after
one step; the merged query and value weights (W + alpha / r * B A, peft's merge_and_unload) after
the step; the last hidden states of the merged plain model; and under "dropout" the same step with
the rates below, the masks drawn from torch's CPU generator seeded with 42 in the order the shipped
program draws them (embeddings; per layer: query's adapter input, value's, attention
probabilities, the two dense outputs; the pooled vector).
"""
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "resources", "fixtures", "models")
spec = importlib.util.spec_from_file_location("step", os.path.join(HERE, "make_training_step_reference.py"))
step_ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(step_ref)
fixtures = step_ref.fixtures

LORA = {"r": 4, "alpha": 8.0, "dropout": 0.1}
DROPOUT = {"hidden": 0.1, "attention": 0.15, "classifier": 0.2, "seed": 42}
SETTINGS = dict(step_ref.SETTINGS)
WATCHED = [
    "encoder.layer.0.attention.self.query.lora_A.weight",
    "encoder.layer.0.attention.self.query.lora_B.weight",
    "encoder.layer.1.attention.self.value.lora_A.weight",
    "encoder.layer.1.attention.self.value.lora_B.weight",
    "head.weight",
    "head.bias",
]


class LoraLinear(torch.nn.Module):
    """peft's LoRA Linear (lora_dropout, lora_A, lora_B, scaling), over a frozen nn.Linear."""

    def __init__(self, base, a, b, p):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(a)
        self.B = torch.nn.Parameter(b)
        self.p = p
        self.scaling = LORA["alpha"] / LORA["r"]

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(fixtures.drop(x, self.p), self.A), self.B) * self.scaling


def lora_step(dropout):
    c, model, weights = step_ref.tiny_v2(dropout)
    for p in model.parameters():
        p.requires_grad_(False)
    hidden = c["hidden_size"]
    g = torch.Generator().manual_seed(13)
    initial = {}
    named = {}
    for l, layer in enumerate(model.encoder.layer):
        for target in ("query", "value"):
            a = 0.2 * torch.randn(LORA["r"], hidden, generator=g)
            b = 0.2 * torch.randn(hidden, LORA["r"], generator=g)
            prefix = "encoder.layer.%d.attention.self.%s.lora_" % (l, target)
            initial[prefix + "A.weight"] = a.reshape(-1).tolist()
            initial[prefix + "B.weight"] = b.reshape(-1).tolist()
            module = LoraLinear(getattr(layer.attention.self, target), a, b, LORA["dropout"] if dropout else 0.0)
            setattr(layer.attention.self, target, module)
            named[prefix + "A.weight"] = module.A
            named[prefix + "B.weight"] = module.B
    head = torch.nn.Linear(hidden, 2)
    with torch.no_grad():
        head.weight.copy_(0.1 * torch.randn(head.weight.shape, generator=g))
        head.bias.copy_(0.1 * torch.randn(head.bias.shape, generator=g))
    initial["head.weight"] = head.weight.reshape(-1).tolist()
    initial["head.bias"] = head.bias.tolist()
    named.update({"head." + n: p for n, p in head.named_parameters()})
    opt = step_ref.adamw(named)

    cells, ids, mask = step_ref.batch()
    genes = mask.clone()
    for i, cell in enumerate(cells):
        if cell[0] == SETTINGS["cls_id"]:
            genes[i, 0] = 0
        if cell[-1] == SETTINGS["eos_id"]:
            genes[i, len(cell) - 1] = 0
    if dropout:
        torch.manual_seed(dropout["seed"])
    last = model(ids, mask)[-1]
    w = genes.unsqueeze(-1).to(torch.float32)
    pooled = (last * w).sum(1) / w.sum(1)
    if dropout:
        pooled = fixtures.drop(pooled, dropout["classifier"])
    logits = head(pooled)
    loss = F.cross_entropy(logits, torch.tensor(SETTINGS["labels"]), weight=torch.tensor(SETTINGS["class_weights"]))
    opt.zero_grad()
    loss.backward()
    grads = {n: named[n].grad.reshape(-1).tolist() for n in WATCHED}
    # clip_grad_norm_ over the model's parameters: the frozen ones have no gradient and count nothing.
    norm = torch.nn.utils.clip_grad_norm_([p for p in named.values()], SETTINGS["max_grad_norm"])
    opt.step()
    out = {"loss": loss.item(), "logits": logits.tolist(), "gradients": grads, "grad_norm": norm.item(),
           "updated": {n: named[n].detach().reshape(-1).tolist() for n in WATCHED}}
    if not dropout:
        # peft's merge_and_unload: W + scaling * B A into each adapted Linear, then the plain model.
        merged = {}
        with torch.no_grad():
            for l, layer in enumerate(model.encoder.layer):
                for target in ("query", "value"):
                    module = getattr(layer.attention.self, target)
                    module.base.weight += module.scaling * module.B @ module.A
                    merged["encoder.layer.%d.attention.self.%s.weight" % (l, target)] = \
                        module.base.weight.reshape(-1).tolist()
                    setattr(layer.attention.self, target, module.base)
            out["merged"] = merged
            out["merged_last_hidden_state"] = model(ids, mask)[-1].reshape(-1).tolist()
        out["cells"] = cells
        out["initial"] = initial
    return out


def main():
    out = lora_step(None)
    out["settings"] = SETTINGS
    out["lora"] = LORA
    out["dropout"] = dict(lora_step(DROPOUT), rates=DROPOUT)
    with open(os.path.join(MODELS, "lora_step_reference.json"), "w") as f:
        json.dump(out, f)
    print("LoRA step: loss", out["loss"], "with dropout", out["dropout"]["loss"], "norm", out["grad_norm"])


if __name__ == "__main__":
    main()
