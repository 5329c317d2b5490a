#!/usr/bin/env bash
# Checkpoint benchmark: a V2-104M-shaped model read from pytorch_model.bin against the same model's
# model.safetensors (Cellspark both), and against PyTorch's torch.load of the .bin. Usage:
#   bench/checkpoint/run.sh [ROUNDS=5]
# Makes bench/work/checkpoint/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS="${1:-5}"
WORK="$ROOT/bench/work/checkpoint"
cd "$ROOT"
if [[ ! -f "$WORK/bin/pytorch_model.bin" ]]; then
  /usr/bin/python3 bench/checkpoint/make_inputs.py
fi
exec bench/bench-java.sh --torch model-udf 4g org.cellspark.bench.WeightsLoadBenchmark "$WORK" "$ROUNDS"
