#!/usr/bin/env python3
"""A cell classifier as upstream's Classifier saves one after fine-tuning: Hugging Face's
BertForSequenceClassification (the encoder under "bert.", BERT's pooler, a linear "classifier"),
config.json with architectures BertForSequenceClassification and id2label LABEL_0..2 (what
from_pretrained(num_labels=3) writes), and beside it upstream's id_class_dict pickle naming the
classes. Tiny and random over the small V1 vocabulary (vocab-v1-small: 32 tokens, no <cls>), so
a cell's first token is its top-ranked gene, which the pooler reads, as in upstream's V1
fine-tuned models.

    /usr/bin/python3 spark-jobs/src/test/python/make_upstream_classifier.py

Writes spark-jobs/src/test/resources/fixtures/models/upstream-cell-classifier/: config.json,
model.safetensors, id_class_dict.pkl, and reference.json: cells (token ids) with the class
probabilities PyTorch computes for each alone, as HF's forward does: softmax(classifier(
tanh(pooler.dense(last_hidden_state[:, 0])))). And upstream-cell-classifier-bin/: the same model
as transformers saved it before safetensors (pytorch_model.bin, torch.save of the state dict),
with its config.json and id_class_dict.pkl. Needs Debian's python3-torch; no transformers.
"""
import collections
import json
import os
import pickle
import random
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

OUT = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/models/upstream-cell-classifier")
CLASSES = {0: "cardiomyocyte", 1: "fibroblast", 2: "endothelial cell"}


def main():
    cfg = fx.Config(32, "gelu", 1e-12, hidden=32, layers=2, heads=4, intermediate=64, max_positions=64)
    model = fx.Bert(cfg).eval()
    fx.randomise(model, 23)
    g = torch.Generator().manual_seed(29)
    classifier = torch.nn.Linear(cfg.hidden_size, len(CLASSES))
    with torch.no_grad():
        classifier.weight.copy_(0.8 * torch.randn(classifier.weight.shape, generator=g))
        classifier.bias.copy_(0.2 * torch.randn(classifier.bias.shape, generator=g))
    state = {"bert." + k: v for k, v in model.state_dict().items()}
    state["classifier.weight"] = classifier.weight
    state["classifier.bias"] = classifier.bias
    os.makedirs(OUT, exist_ok=True)
    fx.write_safetensors(os.path.join(OUT, "model.safetensors"), state)
    config = cfg.json("BertForSequenceClassification")
    config["id2label"] = {str(i): "LABEL_%d" % i for i in CLASSES}
    config["label2id"] = {"LABEL_%d" % i: i for i in CLASSES}
    config["problem_type"] = "single_label_classification"
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(OUT, "id_class_dict.pkl"), "wb") as f:
        pickle.dump(CLASSES, f)
    os.makedirs(OUT + "-bin", exist_ok=True)
    torch.save(collections.OrderedDict(state), os.path.join(OUT + "-bin", "pytorch_model.bin"))
    for name in ("config.json", "id_class_dict.pkl"):
        shutil.copy(os.path.join(OUT, name), os.path.join(OUT + "-bin", name))

    rnd = random.Random(5)
    cells = []
    for n in [3, 9, 17, 30, 44, 63, 12, 5, 26, 38]:
        cells.append(rnd.sample(range(2, 32), min(n, 30)) + [rnd.randrange(2, 32) for _ in range(max(0, n - 30))])
    reference = []
    with torch.no_grad():
        for cell in cells:
            ids = torch.tensor([cell])
            last = model(ids, torch.ones_like(ids))[-1]
            pooled = torch.tanh(model.pooler.dense(last[:, 0]))
            p = torch.softmax(classifier(pooled), dim=-1)[0]
            reference.append({"input_ids": cell, "probability": p.tolist()})
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"classes": [CLASSES[i] for i in sorted(CLASSES)], "cells": reference}, f)
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
