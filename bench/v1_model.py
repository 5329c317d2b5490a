"""What the model benchmarks' Python sides share: a random model of Geneformer V1's shape (6
layers, hidden 256, 4 heads, intermediate 512, 2,048 positions, vocabulary 25,426, ReLU) built
with make_model_fixtures' Hugging Face-named BERT, and upstream's way of batching cells for it
(sorted by length, longest first, fixed slices padded to each slice's longest)."""
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402


def config():
    return fx.Config(25_426, "relu", 1e-12, hidden=256, layers=6, heads=4, intermediate=512,
                     max_positions=2048)


def model():
    """The V1-shaped BERT in eval mode, for weights to be loaded into."""
    return fx.Bert(config()).eval()


def random_model(generator):
    """The V1-shaped BERT, every weight drawn from `generator`: LayerNorm scales 1 + 0.02 N(0, 1),
    everything else 0.02 N(0, 1)."""
    model = fx.Bert(config()).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_((1.0 if "LayerNorm.weight" in name else 0.0) + 0.02 * torch.randn(p.shape, generator=generator))
    return model


def padded_slices(cells, batch):
    """Yields (cell indices, input ids, attention mask) for slices of `batch` cells in order of
    decreasing length, each padded with 0 to its longest cell."""
    order = sorted(range(len(cells)), key=lambda i: -len(cells[i]))
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        longest = max(len(cells[i]) for i in idx)
        ids = torch.zeros((len(idx), longest), dtype=torch.long)
        mask = torch.zeros((len(idx), longest), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, :len(cells[i])] = torch.tensor(cells[i])
            mask[r, :len(cells[i])] = 1
        yield idx, ids, mask
