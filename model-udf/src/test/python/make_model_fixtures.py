#!/usr/bin/env python3
"""Regenerates the tiny Geneformer-shaped models and their PyTorch reference outputs.

    /usr/bin/python3 model-udf/src/test/python/make_model_fixtures.py

Needs Debian's python3-torch (1.13); no transformers. The BERT below is our own module with
Hugging Face's parameter names and forward pass (post-LayerNorm, learned absolute positions,
token type 0, additive attention mask), so its state dict is what a Hugging Face checkpoint holds.

Writes under model-udf/src/test/resources/fixtures/models/:
  tiny-v2/   config.json + model.safetensors with BertForMaskedLM names ("bert." prefix, MLM head
             weights present, to be ignored), ReLU, vocabulary of vocab-v2-small (34 tokens);
             model.pt: the same weights traced to TorchScript, returning every hidden state
  tiny-v1/   config.json + model.safetensors with BertModel names (no prefix), GELU, eps 1e-6,
             vocabulary of vocab-v1-small (32 tokens)
  reference.json  for each model, cells (V2-style with <cls>/<eos>, V1-style without) and, computed
             by PyTorch in float32: every layer's hidden states (cells one at a time, unpadded) and
             the mean / CLS embeddings of layers -1 and 0, plus a padded batch's hidden states.
Everything is seeded.
"""
import json
import math
import os
import struct

import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
OUT = os.path.join(ROOT, "model-udf/src/test/resources/fixtures/models")


class Config:
    def __init__(self, vocab_size, hidden_act, layer_norm_eps, hidden=32, layers=2, heads=4,
                 intermediate=64, max_positions=64):
        self.vocab_size = vocab_size
        self.hidden_size = hidden
        self.num_hidden_layers = layers
        self.num_attention_heads = heads
        self.intermediate_size = intermediate
        self.hidden_act = hidden_act
        self.layer_norm_eps = layer_norm_eps
        self.max_position_embeddings = max_positions
        # Training dropout (make_training_step_reference.py); 0 for every inference reference.
        self.hidden_dropout = 0.0
        self.attention_dropout = 0.0

    def json(self, architecture):
        return {
            "architectures": [architecture], "model_type": "bert",
            "attention_probs_dropout_prob": 0.02, "hidden_dropout_prob": 0.02,
            "hidden_act": self.hidden_act, "hidden_size": self.hidden_size,
            "initializer_range": 0.02, "intermediate_size": self.intermediate_size,
            "layer_norm_eps": self.layer_norm_eps, "max_position_embeddings": self.max_position_embeddings,
            "num_attention_heads": self.num_attention_heads, "num_hidden_layers": self.num_hidden_layers,
            "pad_token_id": 0, "position_embedding_type": "absolute", "type_vocab_size": 2,
            "vocab_size": self.vocab_size,
        }


def act(name, x):
    if name == "relu":
        return torch.relu(x)
    if name == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    raise ValueError(name)


def drop(x, p):
    """Dropout as BertModel trains with it; none at rate 0 (so no random numbers are drawn)."""
    return torch.nn.functional.dropout(x, p, True) if p > 0 else x


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.p = c.hidden_dropout
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(2, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(torch.zeros_like(ids))
        return drop(self.LayerNorm(x), self.p)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c.num_attention_heads
        self.p = c.attention_dropout
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x, mask):
        b, n, h = x.shape
        d = h // self.heads
        split = lambda t: t.view(b, n, self.heads, d).permute(0, 2, 1, 3)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask
        probs = drop(torch.softmax(scores, dim=-1), self.p)
        return torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, n, h)


class DenseLayerNorm(nn.Module):
    def __init__(self, inp, out, eps):
        super().__init__()
        self.dense = nn.Linear(inp, out)
        self.LayerNorm = nn.LayerNorm(out, eps=eps)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseLayerNorm(c.hidden_size, c.hidden_size, c.layer_norm_eps)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = c.hidden_act
        self.p = c.hidden_dropout
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c.intermediate_size, c.hidden_size, c.layer_norm_eps)

    def forward(self, x, mask):
        a = self.attention.output
        x = a.LayerNorm(drop(a.dense(self.attention.self(x, mask)), self.p) + x)
        h = act(self.act, self.intermediate.dense(x))
        return self.output.LayerNorm(drop(self.output.dense(h), self.p) + x)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)


class Bert(nn.Module):
    """BertModel's layout; forward returns every hidden state (embeddings first)."""

    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, input_ids, attention_mask):
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids)
        states = [x]
        for layer in self.encoder.layer:
            x = layer(x, mask)
            states.append(x)
        return tuple(states)


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                # Larger than BERT's 0.02 so attention is far from uniform and layers differ.
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def mean_pool(states, length, special):
    lo, hi = (1, length - 1) if special else (0, length)
    return states[lo:hi].mean(dim=0)


def reference(model, cells, special):
    out = []
    for cell in cells:
        ids = torch.tensor([cell])
        states = model(ids, torch.ones_like(ids))
        n = len(cell)
        layers = [s[0].tolist() for s in states]
        L = len(states) - 1
        out.append({
            "input_ids": cell,
            "hidden_states": layers,
            "mean": {"-1": mean_pool(states[L - 1][0], n, special).tolist(), "0": mean_pool(states[L][0], n, special).tolist()},
            "cls": {"-1": states[L - 1][0][0].tolist(), "0": states[L][0][0].tolist()},
        })
    # The same cells as one right-padded batch: padding must not change real positions.
    longest = max(len(c) for c in cells)
    ids = torch.tensor([c + [0] * (longest - len(c)) for c in cells])
    mask = torch.tensor([[1] * len(c) + [0] * (longest - len(c)) for c in cells])
    states = model(ids, mask)
    batch_last = [states[-1][i, :len(c)].tolist() for i, c in enumerate(cells)]
    return out, batch_last


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/atlas/expected.json")) as f:
        expected = json.load(f)
    v2_cells = [expected["v2"]["tokens"][c] for c in ("hand1", "long1", "cell04", "cell17")]
    v1_cells = [expected["v1"]["tokens"][c] for c in ("hand1", "long1", "cell04", "cell17")]
    refs = {}
    for name, cfg, arch, prefix, cells, special, seed in (
        ("tiny-v2", Config(34, "relu", 1e-12), "BertForMaskedLM", "bert.", v2_cells, True, 1),
        ("tiny-v1", Config(32, "gelu", 1e-6), "BertModel", "", v1_cells, False, 2),
    ):
        model = Bert(cfg).eval()
        randomise(model, seed)
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        tensors = {prefix + k: v for k, v in model.state_dict().items()}
        if prefix:  # a masked-LM checkpoint: the head's weights are there and must be ignored
            g = torch.Generator().manual_seed(seed + 100)
            tensors["cls.predictions.bias"] = torch.randn(cfg.vocab_size, generator=g)
            tensors["cls.predictions.transform.dense.weight"] = torch.randn(cfg.hidden_size, cfg.hidden_size, generator=g)
            tensors["cls.predictions.transform.dense.bias"] = torch.randn(cfg.hidden_size, generator=g)
            tensors["cls.predictions.transform.LayerNorm.weight"] = torch.randn(cfg.hidden_size, generator=g)
            tensors["cls.predictions.transform.LayerNorm.bias"] = torch.randn(cfg.hidden_size, generator=g)
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg.json(arch), f, indent=2, sort_keys=True)
        with torch.no_grad():
            if name == "tiny-v2":
                example = (torch.tensor([v2_cells[0]]), torch.ones(1, len(v2_cells[0]), dtype=torch.long))
                traced = torch.jit.trace(model, example, check_trace=False)
                traced.save(os.path.join(folder, "model.pt"))
            cells_out, batch_last = reference(model, cells, special)
        refs[name] = {"layers": cfg.num_hidden_layers, "hidden": cfg.hidden_size, "special_tokens": special,
                      "cells": cells_out, "padded_batch_last_layer": batch_last}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(refs, f)
    print("model fixtures written to", OUT)


if __name__ == "__main__":
    main()
