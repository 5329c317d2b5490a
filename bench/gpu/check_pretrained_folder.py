#!/usr/bin/env python3
"""Loads the folder `cellspark pretrain` writes with transformers' BertForMaskedLM, unchanged, and
scores masked genes with it.

    python3 bench/gpu/check_pretrained_folder.py OUT

OUT holds pretrained/ and jvm_mlm_logits.json (org.cellspark.train.PretrainedFolderExport). The
folder is loaded with BertForMaskedLM.from_pretrained, as a Python user would: no weight may be
unexpected, and the only ones missing may be the output layer's, which transformers ties to the word
embeddings (and the output bias); its scores over the vocabulary at the masked positions are
compared with the JVM's. Without transformers, the tests' restatement of BertModel reads the same
file (the head applied by hand), and the output says so. Prints the largest difference; exits 1
above 1e-4.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

TIED = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}


def transformers_scores(folder, ids, mask):
    from transformers import BertForMaskedLM
    model, info = BertForMaskedLM.from_pretrained(folder, output_loading_info=True)
    assert not info["unexpected_keys"], info["unexpected_keys"]
    assert set(info["missing_keys"]) <= TIED, info["missing_keys"]
    with torch.no_grad():
        return model.eval()(input_ids=ids, attention_mask=mask).logits, "transformers BertForMaskedLM"


def restated_scores(folder, ids, mask):
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "model-udf/src/test/python"))
    import make_model_fixtures as fx
    import make_gradient_reference as gradients
    c = json.load(open(os.path.join(folder, "config.json")))
    assert c["architectures"] == ["BertForMaskedLM"], c["architectures"]
    model = fx.Bert(fx.Config(c["vocab_size"], c["hidden_act"], c["layer_norm_eps"]))
    w = gradients.read_safetensors(os.path.join(folder, "model.safetensors"))
    assert not set(w) & TIED, "tied weights written"
    model.load_state_dict({k[len("bert."):]: v for k, v in w.items() if k.startswith("bert.")}, strict=False)
    with torch.no_grad():
        last = model.eval()(ids, mask)[-1]
        t = fx.act(c["hidden_act"], last @ w["cls.predictions.transform.dense.weight"].T
                   + w["cls.predictions.transform.dense.bias"])
        t = F.layer_norm(t, (c["hidden_size"],), w["cls.predictions.transform.LayerNorm.weight"],
                         w["cls.predictions.transform.LayerNorm.bias"], c["layer_norm_eps"])
        return t @ w["bert.embeddings.word_embeddings.weight"].T + w["cls.predictions.bias"], \
            "the tests' BertModel restatement (no transformers here)"


def main():
    out = sys.argv[1]
    ref = json.load(open(os.path.join(out, "jvm_mlm_logits.json")))
    ids = torch.tensor(ref["input_ids"])
    mask = torch.tensor(ref["attention_mask"])
    folder = os.path.join(out, "pretrained")
    try:
        scores, how = transformers_scores(folder, ids, mask)
    except ImportError:
        scores, how = restated_scores(folder, ids, mask)
    rows = scores.reshape(-1, scores.shape[-1])[torch.tensor(ref["positions"])]
    worst = (rows - torch.tensor(ref["logits"])).abs().max().item()
    ok = worst <= 1e-4
    print("check_pretrained_folder: %s read %s; scores at %d masked positions vs the JVM's: max |diff| %.2e %s"
          % (how, folder, len(ref["positions"]), worst, "OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
