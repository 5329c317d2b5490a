#!/usr/bin/env python3
"""PyTorch's own reading of a checkpoint, the baseline bench/checkpoint's Java main compares with:
torch.load(f, map_location="cpu", weights_only=True): every tensor in memory, as Cellspark's
reading puts them (their sum, outside the timing, is printed as a check). Prints one line per
round: `torch_load seconds=S`.

    /usr/bin/python3 bench/checkpoint/torch_load.py FILE [ROUNDS=3]
"""
import sys
import time

import torch

torch.set_num_threads(1)
path, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
for _ in range(rounds):
    start = time.perf_counter()
    state = torch.load(path, map_location="cpu", weights_only=True)
    seconds = time.perf_counter() - start
    total = sum(float(t.double().sum()) for k, t in state.items() if k.startswith("bert.") and t.is_floating_point())
    print("torch_load seconds=%.4f tensors=%d checksum=%.3f" % (seconds, len(state), total), flush=True)
    del state
