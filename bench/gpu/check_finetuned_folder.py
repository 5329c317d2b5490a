#!/usr/bin/env python3
"""Loads a folder `cellspark finetune` writes with transformers, unchanged, and scores its cells.

    python3 bench/gpu/check_finetuned_folder.py OUT

OUT holds model/ and jvm_probabilities.json (org.cellspark.bench.FineTunedFolderExport). The folder
is loaded with BertForSequenceClassification.from_pretrained, as a Python user would; its config
must carry id2label and cellspark_pooling; the head Cellspark trained is applied as the docs tell
Python users to (the mean of the gene positions' last_hidden_state, <cls>, <eos> and padding left
out, then classifier.weight and bias), and the class probabilities compared with the JVM's.
Prints the largest difference; exits 1 above 1e-5. Without transformers it says so and exits 0.
"""
import json
import os
import sys

import torch


def main():
    out = sys.argv[1]
    try:
        from transformers import BertForSequenceClassification
    except ImportError:
        print("check_finetuned_folder: transformers is not installed here; not checked")
        return 0
    model = BertForSequenceClassification.from_pretrained(os.path.join(out, "model")).eval()
    config = model.config
    assert config.id2label[1] == "beta", config.id2label
    assert getattr(config, "cellspark_pooling", None) == "mean", "cellspark_pooling missing"
    ref = json.load(open(os.path.join(out, "jvm_probabilities.json")))
    worst = 0.0
    with torch.no_grad():
        for cell in ref["cells"]:
            ids = torch.tensor([cell["input_ids"]])
            last = model.bert(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
            genes = [i for i, t in enumerate(cell["input_ids"]) if t not in (ref["cls_id"], ref["eos_id"])]
            pooled = last[genes].mean(dim=0)
            p = torch.softmax(model.classifier(pooled), dim=-1)
            worst = max(worst, (p - torch.tensor(cell["probabilities"])).abs().max().item())
    ok = worst <= 1e-5
    print("check_finetuned_folder: transformers %s loaded %s (%s); class probabilities vs the JVM's:"
          " max |diff| %.2e %s" % (__import__("transformers").__version__, os.path.join(out, "model"),
                                    type(model).__name__, worst, "OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
