#!/usr/bin/env python3
"""PyTorch's side of the GPU fine-tuning benchmark (bench/gpu/README.md): training steps as Hugging
Face's Trainer takes them with upstream Classifier's settings, on the cells and batches the JVM
side uses: transformers' BertModel (SDPA attention, fp32 weights, dropout as its config says) in
train mode, a linear head on the mean of the last hidden states (dropout before it), cross-entropy,
bf16 autocast (the Trainer's bf16=True), gradients clipped to norm 1 (max_grad_norm), fused
torch.optim.AdamW (lr 5e-5, weight decay 0.001 except biases and LayerNorm weights). Three warm-up
steps, then STEPS timed ones, synchronised at the end only (the Trainer reads the loss every
logging_steps, not every step).

    python3 bench/gpu/finetune_baseline.py WORK --out WORK/pytorch_finetune.json [--steps 10] [--smoke]

--smoke: on the CPU in fp32 (without transformers the tests' restatement of BertModel runs).
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from pytorch_baseline import restated  # the inference baseline's, beside this file


def load(folder, device):
    try:
        from transformers import BertModel
        model = BertModel.from_pretrained(folder, attn_implementation="sdpa", add_pooling_layer=False)
        return model.to(device).train(), "transformers BertModel sdpa", model.config.hidden_dropout_prob
    except ImportError:
        fx, cfg = restated(folder)
        cfg.hidden_dropout = cfg.attention_dropout = 0.1  # BERT's defaults: the config gives none
        return fx.Bert(cfg).to(device), "restated BertModel, eager attention (no transformers)", 0.1


def last_hidden(model, ids, mask):
    if hasattr(model, "config"):  # transformers
        return model(input_ids=ids, attention_mask=mask).last_hidden_state
    return model(ids, mask)[-1]


def rate(folder, hidden, cells, batch, steps, device, autocast):
    model, how, dropout = load(folder, device)
    head = torch.nn.Linear(hidden, 2).to(device)
    named = list(model.named_parameters()) + [("head." + n, p) for n, p in head.named_parameters()]
    decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
    params = [p for _, p in named]
    fused = {"fused": True} if device.type == "cuda" else {}  # the keyword is torch 2's
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.001}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=5e-5, **fused)

    def step(i):
        rows = cells[(i * batch) % len(cells):(i * batch) % len(cells) + batch]
        ids = torch.tensor(rows, device=device)
        mask = torch.ones_like(ids)
        labels = torch.tensor([(i * batch + k) % 2 for k in range(len(rows))], device=device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            pooled = last_hidden(model, ids, mask).mean(dim=1)  # every position is a gene here
            logits = head(F.dropout(pooled, dropout, True))
        loss = F.cross_entropy(logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    for i in range(3):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(3, 3 + steps):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    del model, head, opt
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return steps * batch / seconds, how


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() and not a.smoke else "cpu")
    autocast = device.type == "cuda"
    results = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__,
               "steps": a.steps, "runs": []}
    for p in json.load(open(os.path.join(a.work, "plan.json"))):
        ft = p["finetune"]
        folder = os.path.join(a.work, p["shape"])
        cells = [[int(t) for t in line.split()] for line in open(os.path.join(folder, "cells_%d.txt" % ft["length"]))]
        r, how = rate(folder, p["hidden"], cells, ft["batch"], a.steps, device, autocast)
        precision = "bf16-autocast" if autocast else "fp32"
        results["runs"].append({"shape": p["shape"], "length": ft["length"], "batch": ft["batch"],
                                "precision": precision, "cells_per_s": r, "how": how})
        print("pytorch finetune %-8s %5d tokens x %2d  %-13s %9.2f cells/s  (%s)"
              % (p["shape"], ft["length"], ft["batch"], precision, r, how), flush=True)
        json.dump(results, open(a.out, "w"), indent=1)  # after each run: a cut-short run keeps its figures


if __name__ == "__main__":
    main()
