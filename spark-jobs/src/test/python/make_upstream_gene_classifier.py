#!/usr/bin/env python3
"""A gene classifier as upstream's Classifier(classifier="gene") saved one with transformers before
safetensors: Hugging Face's BertForTokenClassification (the encoder under "bert.", no pooler, a
linear "classifier" on every token's last hidden state) as pytorch_model.bin, config.json with
architectures BertForTokenClassification and id2label LABEL_0/LABEL_1, and beside it upstream's
id_class_dict pickle naming the classes and a gene_class_dict pickle (class -> Ensembl IDs) of
some genes' known classes. Tiny and random over the small V1 vocabulary (vocab-v1-small: 32
tokens, genes ENSG00000000001 to ENSG00000000030 as tokens 2 to 31).

    /usr/bin/python3 spark-jobs/src/test/python/make_upstream_gene_classifier.py

Writes spark-jobs/src/test/resources/fixtures/models/upstream-gene-classifier/: config.json,
pytorch_model.bin, id_class_dict.pkl, gene_class_dict.pkl, and reference.json: cells (token ids)
with, for every token, the class probabilities PyTorch computes for the cell alone, as HF's
forward does: softmax(classifier(last_hidden_state)). Needs Debian's python3-torch.
"""
import collections
import json
import os
import pickle
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

OUT = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/models/upstream-gene-classifier")
CLASSES = {0: "Dosage-insensitive", 1: "Dosage-sensitive"}


def gene(token):
    return "ENSG%011d" % (token - 1)


def main():
    cfg = fx.Config(32, "relu", 1e-12, hidden=32, layers=2, heads=4, intermediate=64, max_positions=64)
    model = fx.Bert(cfg).eval()
    fx.randomise(model, 31)
    g = torch.Generator().manual_seed(37)
    classifier = torch.nn.Linear(cfg.hidden_size, len(CLASSES))
    with torch.no_grad():
        classifier.weight.copy_(0.8 * torch.randn(classifier.weight.shape, generator=g))
        classifier.bias.copy_(0.2 * torch.randn(classifier.bias.shape, generator=g))
    # BertForTokenClassification has no pooler (add_pooling_layer=False).
    state = collections.OrderedDict(
        ("bert." + k, v) for k, v in model.state_dict().items() if not k.startswith("pooler."))
    state["classifier.weight"] = classifier.weight.detach()
    state["classifier.bias"] = classifier.bias.detach()
    os.makedirs(OUT, exist_ok=True)
    torch.save(state, os.path.join(OUT, "pytorch_model.bin"))
    config = cfg.json("BertForTokenClassification")
    config["id2label"] = {str(i): "LABEL_%d" % i for i in CLASSES}
    config["label2id"] = {"LABEL_%d" % i: i for i in CLASSES}
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(OUT, "id_class_dict.pkl"), "wb") as f:
        pickle.dump(CLASSES, f)
    # Known classes: genes 1-6 sensitive, 7-12 insensitive (tokens 2-7 and 8-13); gene 30 (token
    # 31) is listed but never occurs in the cells.
    known = {"Dosage-sensitive": [gene(t) for t in range(2, 8)],
             "Dosage-insensitive": [gene(t) for t in range(8, 14)] + [gene(31)]}
    with open(os.path.join(OUT, "gene_class_dict.pkl"), "wb") as f:
        pickle.dump(known, f)

    rnd = random.Random(41)
    cells = []
    for n in [4, 9, 17, 23, 29, 12, 6, 20, 27, 15, 11, 25]:
        cells.append(rnd.sample(range(2, 31), n))  # never token 31
    reference = []
    with torch.no_grad():
        for cell in cells:
            ids = torch.tensor([cell])
            last = model(ids, torch.ones_like(ids))[-1]
            p = torch.softmax(classifier(last[0]), dim=-1)
            reference.append({"input_ids": cell, "probability": p.tolist()})
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"classes": [CLASSES[i] for i in sorted(CLASSES)], "cells": reference}, f)
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
