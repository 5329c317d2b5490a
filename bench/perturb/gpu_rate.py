#!/usr/bin/env python3
"""Per-GPU perturbation rate for Geneformer-sized models, measured with PyTorch on a GPU machine.

Cellspark's JVM stack (Spark + DJL + libtorch) cannot run on the project's GPU machine (no JDK
there), so this script restates, op for op, what a Cellspark task does on a GPU for one cell's
deletion screen, and times it with random weights of the real model shapes:

  - the model: BERT as NativeBertEncoder computes it (linear q/k/v, scores = q k^T / sqrt(d) plus
    the additive mask, softmax, matmul with v, dense + residual + LayerNorm, ReLU feed-forward),
    stopped at the compared layer (emb_layer -1: every layer but the last), in fp32 or fp16;
  - the batching: all deletion copies of one cell have length L-1 (no padding); a batch holds
    floor(batch_tokens / (L-1)) of them (--batch-tokens, default 16,384);
  - what comes back: each batch's token vectors copied to the host as fp32 (the JVM compares
    them with the original there), so the device-to-host copy is in the time.

and, for scale, upstream's loop on the same GPU: slices of forward_batch_size = 100 copies, every
layer computed (output_hidden_states), in fp32, the cosine comparison on the device.

    python3 bench/perturb/gpu_rate.py [--out rates.json] [--seconds 4] [--smoke] [--shapes V2-104M]

Prints one line per measurement and writes all of them as JSON. --smoke runs tiny shapes on the
CPU to check the script itself.
"""
import argparse
import json
import math
import time

import torch
from torch import nn

SHAPES = {
    # name: layers, hidden, heads, intermediate, vocab, max length (reference, model table)
    "V1-10M": (6, 256, 4, 512, 25_426, 2048),
    "gf-12L-95M": (12, 512, 8, 1024, 20_275, 4096),
    "V2-104M": (12, 768, 12, 3072, 20_275, 4096),
    "smoke": (2, 32, 4, 64, 1_000, 128),
}


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.o, self.ln1 = nn.Linear(h, h), nn.LayerNorm(h, eps=1e-12)
        self.i, self.out, self.ln2 = nn.Linear(h, inter), nn.Linear(inter, h), nn.LayerNorm(h, eps=1e-12)

    def forward(self, x, mask):
        b, n, h = x.shape
        d = h // self.heads
        split = lambda t: t.view(b, n, self.heads, d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask
        a = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, n, h)
        x = self.ln1(self.o(a) + x)
        return self.ln2(self.out(torch.relu(self.i(x))) + x)


class Bert(nn.Module):
    def __init__(self, layers, h, heads, inter, vocab, positions):
        super().__init__()
        self.word = nn.Embedding(vocab, h)
        self.pos = nn.Embedding(positions, h)
        self.token_type = nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([Layer(h, heads, inter) for _ in range(layers)])

    def forward(self, ids, upto, all_states=False):
        b, n = ids.shape
        pos = torch.arange(n, device=ids.device).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids)))
        # No padding in a copy batch: the additive mask is all zeros, added all the same (as the
        # JVM encoder does).
        mask = torch.zeros(b, 1, 1, n, device=ids.device, dtype=x.dtype)
        states = [x]
        for layer in self.layers[:upto]:
            x = layer(x, mask)
            if all_states:
                states.append(x)
        return states if all_states else x


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def deletion_batch(cell, positions, device):
    rows = [torch.cat([cell[:i], cell[i + 1:]]) for i in positions]
    return torch.stack(rows).to(device, non_blocking=True)


def timed(device, seconds, step):
    """Runs step() once to warm up, then until `seconds` have passed; returns (calls, seconds)."""
    step()
    sync(device)
    calls, start = 0, time.perf_counter()
    while True:
        step()
        calls += 1
        sync(device)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls, elapsed


def cellspark_rate(model, shape, length, dtype, batch_tokens, device, seconds, compare="host"):
    """compare="host": token vectors copied to the host (what the JVM does today);
    "device": gene cosines and the pooled vector computed on the device, only they copied back;
    "none": nothing copied back (the model's time alone); "pinned": the token vectors copied into
    a reused page-locked host buffer."""
    layers = SHAPES[shape][0]
    cell = torch.randint(4, SHAPES[shape][4], (length,))
    per_batch = max(1, batch_tokens // (length - 1))
    positions = list(range(per_batch))
    ids = deletion_batch(cell, positions, device)
    with torch.no_grad():
        original = model(cell.unsqueeze(0).to(device), layers - 1)[0]
    keep = torch.stack([torch.cat([torch.arange(0, i), torch.arange(i + 1, length)]) for i in positions]).to(device)
    pinned = torch.empty((per_batch, length - 1, original.shape[-1]), pin_memory=device.type == "cuda") if compare == "pinned" else None

    def step():
        with torch.no_grad():
            out = model(ids, layers - 1)  # emb_layer -1
            if compare == "pinned":
                pinned.copy_(out.float())  # the same copy into a reused page-locked buffer
            elif compare == "host":
                out.float().cpu()  # token vectors to the host, as the JVM reads them
            elif compare == "device":
                cos = torch.nn.functional.cosine_similarity(out.float(), original.float()[keep], dim=2)
                pooled = out.float().mean(dim=1)
                cos.cpu(), pooled.cpu()

    calls, elapsed = timed(device, seconds, step)
    return calls * per_batch / elapsed, per_batch


def upstream_rate(model, shape, length, device, seconds, slice_size=100):
    layers = SHAPES[shape][0]
    cell = torch.randint(4, SHAPES[shape][4], (length,))
    with torch.no_grad():
        original = model(cell.unsqueeze(0).to(device), layers, all_states=True)[layers - 1][0]
    positions = list(range(slice_size))
    keep = torch.stack([torch.cat([torch.arange(0, i), torch.arange(i + 1, length)]) for i in positions]).to(device)

    def step():
        with torch.no_grad():
            ids = deletion_batch(cell, positions, device)
            states = model(ids, layers, all_states=True)
            cos = torch.nn.functional.cosine_similarity(states[layers - 1], original[keep], dim=2)
            cos.mean(dim=1).cpu()

    calls, elapsed = timed(device, seconds, step)
    return calls * slice_size / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="gpu_rates.json")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--compare", action="store_true", help="only the host/device/none comparison runs")
    ap.add_argument("--shapes", default="", help="comma-separated: measure only these shapes (bench/gpu/run.sh: V2-104M)")
    a = ap.parse_args()
    device = torch.device("cpu" if a.smoke else "cuda")
    results = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
               "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "rates": []}
    print(results, flush=True)
    plan = [("smoke", [64, 128], ["fp32"], [2048])] if a.smoke else [
        ("V1-10M", [2048, 1024], ["fp32", "fp16"], [16_384, 65_536, 262_144]),
        ("gf-12L-95M", [4096], ["fp16"], [16_384, 65_536]),
        ("V2-104M", [4096], ["fp32", "fp16"], [16_384, 65_536]),
    ]
    if a.compare:
        plan = [("smoke", [128], ["fp32"], [2048])] if a.smoke else [
            ("V1-10M", [2048, 1024], ["fp32", "fp16"], [16_384, 65_536]),
            ("V2-104M", [4096], ["fp16"], [16_384])]
    if a.shapes:
        plan = [p for p in plan if p[0] in a.shapes.split(",")]
    for shape, lengths, precisions, budgets in plan:
        torch.manual_seed(0)
        base = Bert(*SHAPES[shape]).eval().to(device)
        for p in precisions:
            dtype = torch.float16 if p == "fp16" else torch.float32
            model = base.to(dtype)  # in place: fp32 first, then fp16
            for length in lengths:
                for bt in budgets:
                    for compare in (["host", "pinned", "device", "none"] if a.compare else ["host"]):
                        rate, per_batch = cellspark_rate(model, shape, length, dtype, bt, device, a.seconds, compare)
                        r = {"what": "cellspark", "shape": shape, "length": length, "precision": p, "compare": compare,
                             "batch_tokens": bt, "copies_per_batch": per_batch, "perturbations_per_s": round(rate, 2)}
                        results["rates"].append(r)
                        print(json.dumps(r), flush=True)
                if p == "fp32" and shape in ("V1-10M", "smoke") and not a.compare:
                    slice_size = 8 if a.smoke else 100
                    rate = upstream_rate(model, shape, length, device, a.seconds, slice_size)
                    r = {"what": "upstream_loop", "shape": shape, "length": length, "precision": p,
                         "slice": slice_size, "perturbations_per_s": round(rate, 2)}
                    results["rates"].append(r)
                    print(json.dumps(r), flush=True)
        del base, model
        if device.type == "cuda":
            results.setdefault("peak_gib", {})[shape] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
            torch.cuda.reset_peak_memory_stats()
            torch.cuda.empty_cache()
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
