#!/usr/bin/env python3
"""Exports a Hugging Face Geneformer checkpoint to TorchScript for Cellspark.

    python export_torchscript.py MODEL_DIR OUT_DIR [--length 2048] [--half]

MODEL_DIR is a Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin),
e.g. a clone of ctheodoris/Geneformer's Geneformer-V1-10M or Geneformer-V2-104M. Needs torch and
transformers where you run it (Cellspark itself needs neither).

Writes OUT_DIR/model.pt, a traced module taking (input_ids, attention_mask), both int64
(batch, length), and returning every hidden state (embeddings first, then each layer, as
Hugging Face's hidden_states), and OUT_DIR/config.json, which Cellspark reads beside the .pt.
Then: bin/cellspark embed --model OUT_DIR/model.pt ...

Cellspark also runs the Hugging Face folder directly (config.json + model.safetensors), with the
same results; TorchScript is for when you already have, or prefer, a traced file.
"""
import argparse
import os
import shutil

import torch
from transformers import BertModel


class AllHiddenStates(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True,
                        return_dict=True)
        return tuple(out.hidden_states)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--length", type=int, default=64, help="example length used for tracing")
    ap.add_argument("--half", action="store_true", help="export in fp16 (GPU inference)")
    a = ap.parse_args()

    # A BertForMaskedLM checkpoint loads into BertModel: the "bert." prefix is stripped and the
    # masked-LM head is dropped, which is what embeddings need.
    bert = BertModel.from_pretrained(a.model_dir, add_pooling_layer=False, torchscript=True).eval()
    if a.half:
        bert = bert.half()
    model = AllHiddenStates(bert).eval()
    vocab = bert.config.vocab_size
    ids = torch.randint(4, vocab, (2, a.length))
    mask = torch.ones_like(ids)
    mask[1, a.length // 2:] = 0  # a padded row, so the mask path is traced
    with torch.no_grad():
        traced = torch.jit.trace(model, (ids, mask), strict=False)
        # The trace must hold for other shapes: check one.
        other = torch.randint(4, vocab, (3, a.length // 2 + 3))
        other_mask = torch.ones_like(other)
        for x, y in zip(model(other, other_mask), traced(other, other_mask)):
            if not torch.allclose(x, y, atol=1e-4 if not a.half else 1e-2):
                raise SystemExit("the traced model disagrees with the eager one on another shape")
    os.makedirs(a.out_dir, exist_ok=True)
    traced.save(os.path.join(a.out_dir, "model.pt"))
    shutil.copy(os.path.join(a.model_dir, "config.json"), os.path.join(a.out_dir, "config.json"))
    print("wrote %s/model.pt (%d hidden states) and config.json" % (a.out_dir, bert.config.num_hidden_layers + 1))


if __name__ == "__main__":
    main()
