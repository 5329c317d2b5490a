#!/usr/bin/env python3
"""PyTorch reference values for whole perturbation screens (`cellspark perturb`) on the fixture
atlas, written from upstream's InSilicoPerturber semantics without the Java code:

    /usr/bin/python3 spark-jobs/src/test/python/make_perturb_job_reference.py

Input: the tokens the tokenizer must produce for csr_float32_gzip.h5ad (expected.json, itself
computed independently) and the tiny fixture models. Output:
spark-jobs/src/test/resources/fixtures/perturb/job_reference.json, one entry per screen:

    rows:        [cell_id, perturbed tokens, cosine similarity, [shift per state]]
    gene_shifts: [perturbed tokens, affected token, mean, population std, n]   (when asked)

State embeddings are computed here as `embed --summary mean` defines them: the mean, over the
cells of a label, of each cell's embedding (mean of gene vectors, or the <cls> vector).
"""
import json
import math
import os
import statistics
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

ATLAS = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/atlas/expected.json")
OUT = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/perturb/job_reference.json")
CLS, EOS = 2, 3


def model_for(name):
    cfg = fx.Config(34, "relu", 1e-12) if name == "tiny-v2" else fx.Config(32, "gelu", 1e-6)
    model = fx.Bert(cfg).eval()
    fx.randomise(model, 1 if name == "tiny-v2" else 2)  # the weights make_model_fixtures.py wrote
    return model


def hidden(model, tokens):
    with torch.no_grad():
        ids = torch.tensor([tokens])
        states = model(ids, torch.ones_like(ids))
    return states[len(states) - 2][0]  # emb_layer -1


def cos(a, b):
    return float(torch.nn.functional.cosine_similarity(a.unsqueeze(0), b.unsqueeze(0), eps=1e-8)[0])


def genes_of(tokens, special):
    return (1, len(tokens) - 1) if special else (0, len(tokens))


def cell_vector(h, tokens, special, pooling):
    if pooling == "cls":
        return h[0]
    lo, hi = genes_of(tokens, special)
    return h[lo:hi].mean(dim=0)


def perturb(tokens, genes, kind, special, rank_shift=1):
    """One perturbed copy: (perturbed tokens, positions of perturbed genes in the original, slots of
    perturbed genes in the copy), or None when nothing changes."""
    lo, hi = genes_of(tokens, special)
    present = sorted(p for p in range(lo, hi) if tokens[p] in genes)
    if kind == "delete":
        if not present:
            return None
        return [t for p, t in enumerate(tokens) if p not in present], present, []
    if kind == "overexpress":
        rest = [t for p, t in enumerate(tokens[lo:hi], start=lo) if p not in present]
        copy = tokens[:lo] + list(genes) + rest + tokens[hi:]
        if copy == tokens:
            return None
        return copy, present, list(range(lo, lo + len(genes)))
    (i,) = present
    k = math.ceil(rank_shift * (hi - lo) / 4)  # our inhibit / activate rule
    j = min(i + k, hi - 1) if kind == "inhibit" else max(i - k, lo)
    if j == i:
        return None
    copy = [t for p, t in enumerate(tokens) if p != i]
    copy.insert(j, tokens[i])
    return copy, present, [j]


def compare(model, tokens, genes, kind, special, pooling, states, rank_shift=1):
    made = perturb(tokens, genes, kind, special, rank_shift)
    if made is None:
        return None
    copy, positions, slots = made
    h0, h1 = hidden(model, tokens), hidden(model, copy)
    lo0, hi0 = genes_of(tokens, special)
    lo1, hi1 = genes_of(copy, special)
    keep0 = [p for p in range(lo0, hi0) if p not in positions]
    keep1 = [p for p in range(lo1, hi1) if p not in slots]
    assert [tokens[p] for p in keep0] == [copy[q] for q in keep1]
    gene_cos = [cos(h1[q], h0[p]) for p, q in zip(keep0, keep1)]
    if pooling == "cls":
        similarity = cos(h1[0], h0[0])
    else:
        similarity = sum(gene_cos) / len(gene_cos) if gene_cos else float("nan")
    c0, c1 = cell_vector(h0, tokens, special, pooling), cell_vector(h1, copy, special, pooling)
    shifts = [cos(c1, s) - cos(c0, s) for s in states]
    return similarity, shifts, [tokens[p] for p in keep0], gene_cos


def screen(model, cells, special, kind, pooling, mode, listed=(), anchor=None, states=(), rank_shift=1):
    """mode: all (each gene alone, or with the anchor), each (each listed gene its own screen),
    group (the listed genes together)."""
    rows, pairs = [], {}
    for cell_id, tokens in sorted(cells.items()):
        lo, hi = genes_of(tokens, special)
        if mode == "all":
            if anchor is not None and anchor not in tokens[lo:hi]:
                continue
            start = lo + 1 if kind == "overexpress" else lo  # the top gene is already first
            todo = [[tokens[p]] for p in range(start, hi) if tokens[p] != anchor]
            if anchor is not None:
                todo = [[anchor, g[0]] for g in todo]  # both perturbed; the anchor named first
        elif mode == "each":
            todo = [[g] for g in listed if kind == "overexpress" or g in tokens[lo:hi]]
        else:
            todo = [list(listed)] if kind == "overexpress" or all(g in tokens[lo:hi] for g in listed) else []
        for genes in todo:
            r = compare(model, tokens, genes, kind, special, pooling, states, rank_shift)
            if r is None:
                continue
            similarity, shifts, affected, gene_cos = r
            rows.append([cell_id, genes, similarity, shifts])
            for a, c in zip(affected, gene_cos):
                pairs.setdefault((tuple(genes), a), []).append(c)
    gene_shifts = [[list(k[0]), k[1], statistics.fmean(v), statistics.pstdev(v), len(v)]
                   for k, v in sorted(pairs.items())]
    return rows, gene_shifts


def state_embeddings(model, cells, labels, special, pooling, names):
    out = []
    for name in names:
        vectors = [cell_vector(hidden(model, cells[c]), cells[c], special, pooling)
                   for c in sorted(cells) if labels.get(c) == name]
        out.append(torch.stack(vectors).mean(dim=0))
    return out


def main():
    with open(ATLAS) as f:
        atlas = json.load(f)
    labels = {c["cell_id"]: c["obs"]["cell_type"] for c in atlas["cells"]}
    v2 = atlas["v2"]["tokens"]
    v1 = atlas["v1"]["tokens"]
    m2, m1 = model_for("tiny-v2"), model_for("tiny-v1")
    names = ["monocyte", "B cell", "T cell"]  # start, goal, alternative
    monocytes = {c: t for c, t in v2.items() if labels[c] == "monocyte"}
    cases = {}

    rows, genes = screen(m2, v2, True, "delete", "mean", "all")
    cases["delete_all_mean"] = {"rows": rows, "gene_shifts": genes}

    states = state_embeddings(m2, v2, labels, True, "cls", names)
    rows, _ = screen(m2, monocytes, True, "overexpress", "cls", "all", states=states)
    cases["overexpress_all_cls_states"] = {"rows": rows}

    # Listed genes by symbol and by ID (token 4 = ENSG00000000001 = SYM01, token 12 = ...09).
    states = state_embeddings(m2, v2, labels, True, "mean", names)
    rows, genes = screen(m2, monocytes, True, "delete", "mean", "each", listed=[4, 12], states=states)
    cases["delete_each_mean_states"] = {"rows": rows, "gene_shifts": genes}

    rows, genes = screen(m2, v2, True, "overexpress", "mean", "group", listed=[20, 7])
    cases["overexpress_group_mean"] = {"rows": rows, "gene_shifts": genes}

    rows, _ = screen(m2, v2, True, "delete", "mean", "all", anchor=9)
    cases["delete_anchor_mean"] = {"rows": rows}

    rows, _ = screen(m2, v2, True, "inhibit", "mean", "all", rank_shift=2)
    cases["inhibit_all_mean"] = {"rows": rows}

    rows, genes = screen(m1, v1, False, "delete", "mean", "all")
    cases["v1_delete_all_mean"] = {"rows": rows, "gene_shifts": genes}

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(cases, f)
    print({k: len(v["rows"]) for k, v in cases.items()})


if __name__ == "__main__":
    main()
