#!/usr/bin/env python3
"""PyTorch's side of the GPU benchmark (bench/gpu/README.md): the same cells, the same token budget
per batch, layer -1 mean-pooled on the device, measured with transformers' BertModel and SDPA
attention (what a Python user runs), in fp16 and in bf16 (autocast over fp32 weights, as users do;
and bf16 weights); plus the device's bf16 matrix throughput, the yardstick for the largest model.

    python3 bench/gpu/pytorch_baseline.py WORK --out WORK/pytorch.json [--budget 131072] [--smoke]

Without transformers (e.g. for --smoke on a CPU) the tests' restatement of BertModel's forward
(eager attention) runs instead, and the output says so.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F


def load(folder, dtype, device):
    try:
        import transformers
        from transformers import BertModel
        # transformers 4.56 renamed torch_dtype to dtype (5.x warns on the old name).
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        key = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
        model = BertModel.from_pretrained(folder, attn_implementation="sdpa", add_pooling_layer=False, **{key: dtype})
        return model.to(device).eval(), "transformers BertModel sdpa"
    except ImportError:
        fx, cfg = restated(folder)
        # Random weights of the same shape: this path times the forward, it is not compared value by value.
        return fx.Bert(cfg).to(device=device, dtype=dtype).eval(), "restated BertModel, eager attention (no transformers)"


def restated(folder):
    """The tests' restatement of BertModel (make_model_fixtures) and its Config for the folder's
    config.json, for machines without transformers (--smoke)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "model-udf/src/test/python"))
    import make_model_fixtures as fx
    c = json.load(open(os.path.join(folder, "config.json")))
    cfg = fx.Config(c["vocab_size"], c["hidden_act"], c["layer_norm_eps"], hidden=c["hidden_size"],
                    layers=c["num_hidden_layers"], heads=c["num_attention_heads"],
                    intermediate=c["intermediate_size"], max_positions=c["max_position_embeddings"])
    return fx, cfg


def hidden_minus_one(model, ids, mask):
    if hasattr(model, "config"):  # transformers
        return model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[-2]
    return model(ids, mask)[-2]


def rate(model, cells, budget, device, autocast):
    length = len(cells[0])
    per_batch = max(1, budget // length)
    ids_all = torch.tensor(cells, dtype=torch.long)

    def run(rows):
        ids = ids_all[rows].to(device)
        mask = torch.ones_like(ids)
        with torch.inference_mode(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            h = hidden_minus_one(model, ids, mask)
            return h.float().mean(dim=1).cpu()

    run(list(range(min(per_batch, len(cells)))))  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for start in range(0, len(cells), per_batch):
        run(list(range(start, min(len(cells), start + per_batch))))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(cells) / (time.perf_counter() - t)


def bf16_tflops(device):
    if device.type != "cuda":
        return None
    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t = time.perf_counter()
    reps = 50
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize()
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e12


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=int, default=131_072)
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() and not a.smoke else "cpu")
    plan = json.load(open(os.path.join(a.work, "plan.json")))
    results = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__,
               "budget": a.budget, "bf16_tflops": bf16_tflops(device), "runs": []}
    json.dump(results, open(a.out, "w"), indent=1)
    precisions = [("fp16", torch.float16, False), ("bf16", torch.bfloat16, False), ("bf16-autocast", torch.float32, True)]
    if a.smoke:  # a CPU's half-precision kernels are incomplete in older torch: fp32 only
        precisions = [("fp32", torch.float32, False)]
    for p in plan:
        folder = os.path.join(a.work, p["shape"])
        cells = {length: [[int(t) for t in line.split()] for line in open(os.path.join(folder, "cells_%d.txt" % length))]
                 for length in p["lengths"]}
        for label, dtype, autocast in precisions:  # one load per shape and precision, every length
            model, how = load(folder, dtype, device)
            for length in p["lengths"]:
                r = rate(model, cells[length], a.budget, device, autocast)
                results["runs"].append({"shape": p["shape"], "length": length, "precision": label, "cells_per_s": r, "how": how})
                print("pytorch %-8s %5d tokens %-14s %9.2f cells/s  (%s)" % (p["shape"], length, label, r, how), flush=True)
                json.dump(results, open(a.out, "w"), indent=1)  # after each run: a cut-short run keeps its figures
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    json.dump(results, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
