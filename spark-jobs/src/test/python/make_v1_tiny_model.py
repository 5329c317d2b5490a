#!/usr/bin/env python3
"""A tiny random BERT over Geneformer V1's full vocabulary (25,426 tokens, 2,048 positions), for
jobs that embed real-vocabulary atlases in tests (fixtures/atlas/classify_atlas.h5ad): 1 layer, hidden 16,
2 heads, intermediate 32, ReLU. Random weights: it carries no biology, but mean-pooled
embeddings of cells with different top-ranked genes differ, which is what the tests need.

    /usr/bin/python3 spark-jobs/src/test/python/make_v1_tiny_model.py

Writes spark-jobs/src/test/resources/fixtures/models/v1-tiny/{config.json, model.safetensors}; `cellspark demo`
bundles a copy of those two files in spark-jobs/src/main/resources/org/cellspark/demo/model/ (copy them again after a rerun).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402

OUT = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/models/v1-tiny")


def main():
    cfg = fx.Config(25_426, "relu", 1e-12, hidden=16, layers=1, heads=2, intermediate=32, max_positions=2048)
    model = fx.Bert(cfg).eval()
    fx.randomise(model, 11)
    os.makedirs(OUT, exist_ok=True)
    fx.write_safetensors(os.path.join(OUT, "model.safetensors"), {"bert." + k: v for k, v in model.state_dict().items()})
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(cfg.json("BertForMaskedLM"), f, indent=2)
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
