#!/usr/bin/env python3
"""Writes the tiny V2 masked-LM model split in shards, as transformers' save_pretrained(dir,
max_shard_size=...) writes a model larger than the shard size, for the reader of sharded
checkpoints (WeightsFile / ShardedCheckpoint) to be tested against.

    /usr/bin/python3 model-udf/src/test/python/make_sharded_checkpoint_fixtures.py

Needs Debian's python3-torch (1.13) and numpy; no transformers, no safetensors package: the split
below is huggingface_hub's (split_torch_state_dict_into_shards, which save_pretrained calls), the
shards are written with make_model_fixtures.py's safetensors writer and with torch.save, and each
index is the JSON save_pretrained writes (sorted keys, indent 2, {"metadata": {"total_size": ...},
"weight_map": {tensor: shard}}).

Reads model-udf/src/test/resources/fixtures/models/tiny-v2/ and writes under
model-udf/src/test/resources/fixtures/checkpoints/:
  tiny-v2-sharded/      config.json, model.safetensors.index.json and
                        model-0000K-of-0000N.safetensors: tiny-v2's tensors (the tied decoder left
                        out, as save_pretrained leaves shared tensors out of safetensors), in the
                        order BertForMaskedLM.state_dict() gives them, at most 40 kB a shard.
  tiny-v2-sharded-bin/  config.json, pytorch_model.bin.index.json and
                        pytorch_model-0000K-of-0000N.bin: the masked-LM state dict as transformers
                        saved it before safetensors (the decoder's weight and bias tied to the word
                        embeddings and cls.predictions.bias, kept in the shard of the tensor whose
                        storage they share), at most 40 kB a shard.
"""
import collections
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as fx  # noqa: E402  (its safetensors writer)
import make_torch_checkpoint_fixtures as ck  # noqa: E402  (its safetensors reader)

OUT = ck.OUT
MAX_SHARD_BYTES = 40_000


def state_dict_order(tensors, layers):
    """BertForMaskedLM.state_dict()'s order: modules as registered, weight before bias."""
    names = []
    e = "bert.embeddings."
    names += [e + "word_embeddings.weight", e + "position_embeddings.weight",
              e + "token_type_embeddings.weight", e + "LayerNorm.weight", e + "LayerNorm.bias"]
    for i in range(layers):
        p = f"bert.encoder.layer.{i}."
        for m in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
                  "output.dense", "output.LayerNorm"):
            names += [p + m + ".weight", p + m + ".bias"]
    names += ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "cls.predictions.bias",
              "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
              "cls.predictions.transform.LayerNorm.weight",
              "cls.predictions.transform.LayerNorm.bias"]
    assert sorted(names) == sorted(tensors), set(names) ^ set(tensors)
    return collections.OrderedDict((n, tensors[n]) for n in names)


def split(state, max_bytes):
    """huggingface_hub's split: tensors in order, a new shard when the next would overflow the
    current one; a tensor sharing storage with one already placed goes where that one went."""
    shards, current, size, placed = [], collections.OrderedDict(), 0, {}
    for name, t in state.items():
        storage = t.untyped_storage().data_ptr() if hasattr(t, "untyped_storage") \
            else t.storage().data_ptr()
        if storage in placed:
            placed[storage][name] = t
            continue
        nbytes = t.numel() * t.element_size()
        if size + nbytes > max_bytes and current:
            shards.append(current)
            current, size = collections.OrderedDict(), 0
        current[name] = t
        size += nbytes
        placed[storage] = current
    shards.append(current)
    return shards


def write(folder, shards, name_of, save, index_name):
    os.makedirs(folder)
    shutil.copy(os.path.join(ck.MODELS, "tiny-v2/config.json"), os.path.join(folder, "config.json"))
    weight_map, total = {}, 0
    seen = set()
    for k, shard in enumerate(shards, 1):
        file = name_of(k, len(shards))
        save(shard, os.path.join(folder, file))
        for name, t in shard.items():
            weight_map[name] = file
            storage = t.storage().data_ptr()
            if storage not in seen:
                seen.add(storage)
                total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(folder, index_name), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")


def main():
    for name in ("tiny-v2-sharded", "tiny-v2-sharded-bin"):
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
    config = json.load(open(os.path.join(ck.MODELS, "tiny-v2/config.json")))
    v2 = ck.read_safetensors(os.path.join(ck.MODELS, "tiny-v2/model.safetensors"))
    ordered = state_dict_order(v2, config["num_hidden_layers"])

    shards = split(ordered, MAX_SHARD_BYTES)
    assert len(shards) >= 3, len(shards)
    write(os.path.join(OUT, "tiny-v2-sharded"), shards,
          lambda k, n: f"model-{k:05d}-of-{n:05d}.safetensors",
          lambda shard, path: fx.write_safetensors(path, shard), "model.safetensors.index.json")

    masked = collections.OrderedDict(ordered)
    masked["cls.predictions.decoder.weight"] = masked["bert.embeddings.word_embeddings.weight"]
    masked["cls.predictions.decoder.bias"] = masked["cls.predictions.bias"]
    shards = split(masked, MAX_SHARD_BYTES)
    assert len(shards) >= 3, len(shards)
    write(os.path.join(OUT, "tiny-v2-sharded-bin"), shards,
          lambda k, n: f"pytorch_model-{k:05d}-of-{n:05d}.bin",
          lambda shard, path: torch.save(shard, path), "pytorch_model.bin.index.json")


if __name__ == "__main__":
    main()
