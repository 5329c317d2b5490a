#!/usr/bin/env python3
"""Writes the tiny models again as PyTorch checkpoints, the way torch.save writes them, for the
reader of pytorch_model.bin (WeightsFile / TorchCheckpoint) to be tested against.

    /usr/bin/python3 model-udf/src/test/python/make_torch_checkpoint_fixtures.py

Needs Debian's python3-torch (1.13) and numpy; no transformers, no safetensors package (the tiny
models' model.safetensors is parsed below, and the expected values are written as safetensors
with make_model_fixtures.py's writer).

Reads model-udf/src/test/resources/fixtures/models/tiny-v{1,2}/ (make_model_fixtures.py) and writes
under model-udf/src/test/resources/fixtures/checkpoints/:
  tiny-v2-bin/   config.json + pytorch_model.bin: tiny-v2 as transformers' BertForMaskedLM state
                 dict before safetensors: the masked-LM decoder's weight and bias tied to the word
                 embeddings and cls.predictions.bias (the same tensors, so one storage each), the
                 int64 bert.embeddings.position_ids buffer older transformers kept, and the
                 _metadata attribute nn.Module.state_dict() sets.
  tiny-v1-bin/   config.json + pytorch_model.bin: tiny-v1's BertModel names, float32.
  tiny-v1-pt/    config.json + model.pt: the same state dict under TorchScript's usual name.
  tiny-v1-fp16.bin, tiny-v1-bf16.bin: tiny-v1's tensors in float16 and bfloat16, and
  tiny-v1-fp16.expected.safetensors, tiny-v1-bf16.expected.safetensors: what PyTorch makes of them
                 as float32 (v.half().float(), v.bfloat16().float()), for the reader to equal.
  parameters.bin a state dict of nn.Parameter (state_dict(keep_vars=True)): _rebuild_parameter.
  refused/code.bin      a pickle that calls os.system when Python loads it (torch.save of such an
                        object; nothing here runs it).
  refused/legacy.bin    PyTorch's format before 1.6 (_use_new_zipfile_serialization=False).
  refused/strided.bin   a weight saved as a transposed view (strides (1, 3)).
  refused/training.bin  a training checkpoint: {"model": state dict, "epoch": 3}.
And spark-jobs/src/test/resources/fixtures/models/v1-tiny-bin/: spark-jobs' v1-tiny model
(make_v1_tiny_model.py) as pytorch_model.bin, which the app's SparkSubmitIT ships to a local
cluster's executors.
"""
import collections
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as fx  # noqa: E402  (its safetensors writer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODELS = os.path.join(ROOT, "model-udf/src/test/resources/fixtures/models")
OUT = os.path.join(ROOT, "model-udf/src/test/resources/fixtures/checkpoints")
JOB_MODELS = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/models")


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (path, name)
        begin, end = entry["data_offsets"]
        values = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype="<f4").reshape(entry["shape"])
        out[name] = torch.from_numpy(values.copy())
    return out


def with_metadata(state, modules):
    """A state dict as nn.Module.state_dict() returns it: an OrderedDict with _metadata."""
    out = collections.OrderedDict(state)
    out._metadata = collections.OrderedDict((m, {"version": 1}) for m in modules)
    return out


def folder(name, config_from, weights_name, state, out=OUT, models=MODELS):
    path = os.path.join(out, name)
    os.makedirs(path, exist_ok=True)
    shutil.copy(os.path.join(models, config_from, "config.json"), os.path.join(path, "config.json"))
    torch.save(state, os.path.join(path, weights_name))


class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo this checkpoint ran code",))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(os.path.join(OUT, "refused"))
    v2 = read_safetensors(os.path.join(MODELS, "tiny-v2/model.safetensors"))
    v1 = read_safetensors(os.path.join(MODELS, "tiny-v1/model.safetensors"))

    # BertForMaskedLM as transformers < 4.31 saved it: embeddings first, with position_ids.
    config = json.load(open(os.path.join(MODELS, "tiny-v2/config.json")))
    masked = collections.OrderedDict()
    for name, t in v2.items():
        if name == "bert.embeddings.LayerNorm.weight":
            positions = torch.arange(config["max_position_embeddings"]).expand((1, -1))
            masked["bert.embeddings.position_ids"] = positions
        masked[name] = t
    masked["cls.predictions.decoder.weight"] = masked["bert.embeddings.word_embeddings.weight"]
    masked["cls.predictions.decoder.bias"] = masked["cls.predictions.bias"]
    modules = ["", "bert", "bert.embeddings", "bert.encoder", "cls", "cls.predictions"]
    folder("tiny-v2-bin", "tiny-v2", "pytorch_model.bin", with_metadata(masked, modules))

    folder("tiny-v1-bin", "tiny-v1", "pytorch_model.bin", with_metadata(v1, ["", "embeddings"]))
    folder("tiny-v1-pt", "tiny-v1", "model.pt", with_metadata(v1, ["", "embeddings"]))

    for label, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
        low = collections.OrderedDict((k, v.to(dtype)) for k, v in v1.items())
        torch.save(with_metadata(low, [""]), os.path.join(OUT, f"tiny-v1-{label}.bin"))
        fx.write_safetensors(os.path.join(OUT, f"tiny-v1-{label}.expected.safetensors"),
                             {k: v.float() for k, v in low.items()})

    params = collections.OrderedDict(
        (k, torch.nn.Parameter(v)) for k, v in list(v1.items())[:3])
    torch.save(with_metadata(params, [""]), os.path.join(OUT, "parameters.bin"))

    torch.save({"embeddings.word_embeddings.weight": v1["embeddings.word_embeddings.weight"],
                "hook": RunsCode()}, os.path.join(OUT, "refused/code.bin"))
    torch.save(with_metadata(v1, [""]), os.path.join(OUT, "refused/legacy.bin"),
               _use_new_zipfile_serialization=False)
    strided = collections.OrderedDict(v1)
    strided["pooler.dense.weight"] = v1["pooler.dense.weight"].t().contiguous().t()
    assert not strided["pooler.dense.weight"].is_contiguous()
    torch.save(strided, os.path.join(OUT, "refused/strided.bin"))
    torch.save({"model": with_metadata(v1, [""]), "epoch": 3},
               os.path.join(OUT, "refused/training.bin"))

    job_v1 = read_safetensors(os.path.join(JOB_MODELS, "v1-tiny/model.safetensors"))
    folder("v1-tiny-bin", "v1-tiny", "pytorch_model.bin", with_metadata(job_v1, [""]),
           out=JOB_MODELS, models=JOB_MODELS)


if __name__ == "__main__":
    main()
