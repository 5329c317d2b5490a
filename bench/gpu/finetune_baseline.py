#!/usr/bin/env python3
"""PyTorch's side of the GPU fine-tuning benchmark (bench/gpu/README.md): training steps as Hugging
Face's Trainer takes them with upstream Classifier's settings, on the cells and batches the JVM
side uses: transformers' BertModel (SDPA attention, fp32 weights, dropout as its config says) in
train mode, a linear head on the mean of the last hidden states (dropout before it), cross-entropy,
bf16 autocast (the Trainer's bf16=True), gradients clipped to norm 1 (max_grad_norm), fused
torch.optim.AdamW (lr 5e-5, weight decay 0.001 except biases and LayerNorm weights). Three warm-up
steps, then STEPS timed ones, synchronised at the end only (the Trainer reads the loss every
logging_steps, not every step).

    python3 bench/gpu/finetune_baseline.py WORK --out WORK/pytorch_finetune.json [--steps 10] [--head cell|mlm|lora] [--smoke]

--head mlm: pretraining steps instead, as upstream's GeneformerPretrainer takes them: transformers'
BertForMaskedLM (SDPA) with the masking of DataCollatorForLanguageModeling (15% of the gene tokens
chosen; 80% <mask>, 10% a random token, 10% kept; labels -100 elsewhere), its head on every
position and the loss over the chosen ones; the same autocast, clipping and optimizer.
--head lora: the cell classifier's steps with LoRA adapters, as upstream Classifier's quantize=True
trains them (peft's LoraConfig: r 64, lora_alpha 128, lora_dropout 0.1 on every layer's query and
value; peft's LoRA Linear restated, since peft is not assumed: base(x) + B(A(dropout(x))) * alpha / r,
A kaiming-uniform, B zero), the checkpoint's weights frozen, AdamW over the adapters and the head;
everything else as the cell head's step. (Upstream also loads the base weights in 4 bits; the JVM
cannot, so both sides keep them in fp32.)
--smoke: on the CPU in fp32 (without transformers the tests' restatement of BertModel runs).
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from pytorch_baseline import restated  # the inference baseline's, beside this file


class Lora(torch.nn.Module):
    """peft's LoRA Linear: the frozen layer plus B(A(dropout(x))) * alpha / r."""

    def __init__(self, base, r, alpha, p):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device))
        torch.nn.init.kaiming_uniform_(self.A, a=5 ** 0.5)
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device))
        self.p = p
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(F.dropout(x, self.p, self.training), self.A), self.B) * self.scaling


def with_adapters(model, rank):
    """Upstream's LoraConfig on the model (its weights frozen; rank 64 but on the smoke shape,
    narrower than that); the adapters' parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    layers = model.encoder.layer  # transformers' BertModel and the restatement name them alike
    adapters = []
    for layer in layers:
        for target in ("query", "value"):
            adapted = Lora(getattr(layer.attention.self, target), rank, 128.0, 0.1)
            setattr(layer.attention.self, target, adapted)
            adapters += [("lora_A", adapted.A), ("lora_B", adapted.B)]
    return adapters


def load(folder, device):
    try:
        from transformers import BertModel
        model = BertModel.from_pretrained(folder, attn_implementation="sdpa", add_pooling_layer=False)
        return model.to(device).train(), "transformers BertModel sdpa", model.config.hidden_dropout_prob
    except ImportError:
        fx, cfg = restated(folder)
        cfg.hidden_dropout = cfg.attention_dropout = 0.1  # BERT's defaults: the config gives none
        return fx.Bert(cfg).to(device), "restated BertModel, eager attention (no transformers)", 0.1


class RestatedMaskedLm(torch.nn.Module):
    """BertForMaskedLM restated (no transformers): the encoder, then dense, relu, LayerNorm and the
    tied word embeddings with a bias, at every position; the cross-entropy over labels != -100."""

    def __init__(self, encoder, hidden, vocab):
        super().__init__()
        self.encoder = encoder
        self.dense = torch.nn.Linear(hidden, hidden)
        self.norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.bias = torch.nn.Parameter(torch.zeros(vocab))

    def forward(self, input_ids, attention_mask, labels):
        last = self.encoder(input_ids, attention_mask)[-1]
        scores = self.norm(F.relu(self.dense(last))) @ self.encoder.embeddings.word_embeddings.weight.T + self.bias
        return F.cross_entropy(scores.float().reshape(-1, scores.shape[-1]), labels.reshape(-1), ignore_index=-100)


def load_masked_lm(folder, device):
    try:
        from transformers import BertForMaskedLM
        model = BertForMaskedLM.from_pretrained(folder, attn_implementation="sdpa")
        return model.to(device).train(), "transformers BertForMaskedLM sdpa", model.config.vocab_size
    except ImportError:
        fx, cfg = restated(folder)
        cfg.hidden_dropout = cfg.attention_dropout = 0.1
        model = RestatedMaskedLm(fx.Bert(cfg), cfg.hidden_size, cfg.vocab_size).to(device)
        return model, "restated BertForMaskedLM, eager attention (no transformers)", cfg.vocab_size


def masked(ids, vocab):
    """DataCollatorForLanguageModeling's masking: the inputs and labels (<pad> 0, <mask> 1, <cls> 2
    and <eos> 3 never chosen)."""
    chosen = torch.bernoulli(torch.full(ids.shape, 0.15, device=ids.device)).bool() & (ids > 3)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8, device=ids.device)).bool() & chosen
    to_random = torch.bernoulli(torch.full(ids.shape, 0.5, device=ids.device)).bool() & chosen & ~to_mask
    ids = torch.where(to_mask, torch.ones_like(ids), ids)
    ids = torch.where(to_random, torch.randint(vocab, ids.shape, device=ids.device), ids)
    return ids, labels


def masked_lm_rate(folder, cells, batch, steps, device, autocast):
    model, how, vocab = load_masked_lm(folder, device)
    named = list(model.named_parameters())
    decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n or "norm" in n)]
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n or "norm" in n]
    params = [p for _, p in named]
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.001}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=5e-5, **fused)

    def step(i):
        rows = cells[(i * batch) % len(cells):(i * batch) % len(cells) + batch]
        ids, labels = masked(torch.tensor(rows, device=device), vocab)
        mask = torch.ones_like(ids)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            if hasattr(model, "config"):  # transformers
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            else:
                loss = model(ids, mask, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    return timed(step, steps, batch, device), how


def timed(step, steps, batch, device):
    """Three warm-up steps, then the timed ones, synchronised at the end only; cells/s."""
    for i in range(3):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(3, 3 + steps):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t)


def last_hidden(model, ids, mask):
    if hasattr(model, "config"):  # transformers
        return model(input_ids=ids, attention_mask=mask).last_hidden_state
    return model(ids, mask)[-1]


def rate(folder, hidden, cells, batch, steps, device, autocast, lora):
    model, how, dropout = load(folder, device)
    head = torch.nn.Linear(hidden, 2).to(device)
    rank = min(64, hidden)
    trained = with_adapters(model, rank) if lora else list(model.named_parameters())
    if lora:
        how += ", LoRA r %d on query and value" % rank
    named = trained + [("head." + n, p) for n, p in head.named_parameters()]
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

    return timed(step, steps, batch, device), how


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--head", choices=["cell", "mlm", "lora"], default="cell")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() and not a.smoke else "cpu")
    autocast = device.type == "cuda"
    results = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__,
               "steps": a.steps, "head": a.head, "runs": []}
    for p in json.load(open(os.path.join(a.work, "plan.json"))):
        ft = p["finetune"]
        folder = os.path.join(a.work, p["shape"])
        cells = [[int(t) for t in line.split()] for line in open(os.path.join(folder, "cells_%d.txt" % ft["length"]))]
        if a.head == "mlm":
            r, how = masked_lm_rate(folder, cells, ft["batch"], a.steps, device, autocast)
        else:
            r, how = rate(folder, p["hidden"], cells, ft["batch"], a.steps, device, autocast, a.head == "lora")
        if device.type == "cuda":  # the run's model and optimizer are gone: give their memory back
            torch.cuda.empty_cache()
        precision = "bf16-autocast" if autocast else "fp32"
        results["runs"].append({"shape": p["shape"], "length": ft["length"], "batch": ft["batch"],
                                "precision": precision, "cells_per_s": r, "how": how})
        what = {"cell": "finetune", "mlm": "pretrain", "lora": "lora"}[a.head]
        print("pytorch " + what + " %-8s %5d tokens x %2d  %-13s %9.2f cells/s  (%s)"
              % (p["shape"], ft["length"], ft["batch"], precision, r, how), flush=True)
        json.dump(results, open(a.out, "w"), indent=1)  # after each run: a cut-short run keeps its figures


if __name__ == "__main__":
    main()
