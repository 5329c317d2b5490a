#!/usr/bin/env python3
"""PyTorch reference values for in silico perturbation (Geneformer's InSilicoPerturber semantics), written independently
of the Java code from the upstream semantics, with the tiny fixture models:

    /usr/bin/python3 model-udf/src/test/python/make_perturb_fixtures.py

Writes model-udf/src/test/resources/fixtures/models/perturb_reference.json: for each case (model,
cell, perturbation, pooling) the cell-level cosine similarity, the shifts toward two states, and
the per-gene cosines of the genes the perturbation did not touch. Hidden states: emb_layer -1.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_model_fixtures as fx  # noqa: E402

ROOT = fx.ROOT
MODELS = os.path.join(ROOT, "model-udf/src/test/resources/fixtures/models")
CLS, EOS = 2, 3  # the small V2 vocabulary's special tokens


def load(name, cfg):
    model = fx.Bert(cfg).eval()
    fx.randomise(model, 1 if name == "tiny-v2" else 2)  # the same weights as make_model_fixtures.py
    return model


def hidden(model, tokens):
    with torch.no_grad():
        ids = torch.tensor([tokens])
        states = model(ids, torch.ones_like(ids))
    return states[len(states) - 2][0]  # emb_layer -1


def cos(a, b):
    return float(torch.nn.functional.cosine_similarity(a.unsqueeze(0), b.unsqueeze(0), eps=1e-8)[0])


def gene_range(tokens, special):
    return (1, len(tokens) - 1) if special else (0, len(tokens))


def perturb_single(tokens, positions, kind, special, rank_shift=1):
    """Upstream's mode A: delete removes; overexpress moves to the front (after <cls>). Ours:
    inhibit/activate move by ceil(rank_shift * genes / 4) positions. Returns the perturbed list
    and the perturbed list's slots holding the perturbed genes."""
    first, end = gene_range(tokens, special)
    if kind == "delete":
        return [t for i, t in enumerate(tokens) if i not in positions], []
    if kind == "overexpress":
        moved = [tokens[i] for i in sorted(positions)]
        rest = [t for i, t in enumerate(tokens[first:], start=first) if i not in positions]
        return tokens[:first] + moved + rest, list(range(first, first + len(moved)))
    (i,) = positions
    k = math.ceil(rank_shift * (end - first) / 4)
    j = min(i + k, end - 1) if kind == "inhibit" else max(i - k, first)
    out = [t for p, t in enumerate(tokens) if p != i]
    out.insert(j, tokens[i])
    return out, [j]


def compare(model, tokens, positions, kind, special, pooling, states):
    perturbed, slots = perturb_single(tokens, positions, kind, special)
    h0, h1 = hidden(model, tokens), hidden(model, perturbed)
    f0, e0 = gene_range(tokens, special)
    f1, e1 = gene_range(perturbed, special)
    keep0 = [p for p in range(f0, e0) if p not in positions]
    keep1 = [p for p in range(f1, e1) if p not in slots]
    gene_cos = [cos(h1[q], h0[p]) for p, q in zip(keep0, keep1)]
    if pooling == "cls":
        similarity = cos(h1[0], h0[0])
        cell0, cell1 = h0[0], h1[0]
    else:
        similarity = sum(gene_cos) / len(gene_cos)
        cell0, cell1 = h0[f0:e0].mean(dim=0), h1[f1:e1].mean(dim=0)
    shifts = [cos(cell1, s) - cos(cell0, s) for s in states]
    return {
        "cosine_similarity": similarity,
        "shifts": shifts,
        "affected": [tokens[p] for p in keep0],
        "gene_cos": gene_cos,
        "perturbed_tokens": perturbed,
    }


def main():
    with open(os.path.join(MODELS, "reference.json")) as f:
        ref = json.load(f)
    out = {"cases": []}
    for name, cfg, special in (
        ("tiny-v2", fx.Config(34, "relu", 1e-12), True),
        ("tiny-v1", fx.Config(32, "gelu", 1e-6), False),
    ):
        model = load(name, cfg)
        cells = [c["input_ids"] for c in ref[name]["cells"]]
        # Two "states": the mean embeddings of two other cells (any fixed vectors would do).
        states = [hidden(model, cells[2])[1:-1].mean(dim=0) if special else hidden(model, cells[2]).mean(dim=0),
                  hidden(model, cells[3])[0] if special else hidden(model, cells[3]).mean(dim=0)]
        out[name + "_states"] = [s.tolist() for s in states]
        poolings = ("cls", "mean") if special else ("mean",)
        for cell_index in (0, 1):
            tokens = cells[cell_index]
            first, end = gene_range(tokens, special)
            for pooling in poolings:
                for kind, positions in (
                    ("delete", [first]), ("delete", [first + 2]), ("delete", [end - 1]),
                    ("overexpress", [first + 1]), ("overexpress", [end - 1]),
                    ("inhibit", [first]), ("activate", [end - 1]),
                    ("delete", [first, first + 3]),  # anchor at first + gene at first + 3
                ):
                    case = compare(model, tokens, positions, kind, special, pooling, states)
                    case.update({"model": name, "cell": cell_index, "kind": kind, "positions": positions,
                                 "pooling": pooling, "input_ids": tokens})
                    out["cases"].append(case)
    with open(os.path.join(MODELS, "perturb_reference.json"), "w") as f:
        json.dump(out, f)
    print(len(out["cases"]), "perturbation cases written")


if __name__ == "__main__":
    main()
