#!/usr/bin/env bash
# Fine-tuning benchmark: Cellspark's training step vs a PyTorch eager loop (same model, cells,
# batches, optimizer; one libtorch thread on each side), in one run. Usage:
#   bench/finetune/run.sh [CELLS=48] [LENGTH=512] [BATCH=8] [STEPS=6] [ROUNDS=3] [HEAD=cell|gene|mlm|multitask|lora]
# The two sides alternate, ROUNDS rounds each; the median of the rounds' ratios is reported.
# Uses bench/work/embed/ (made once by bench/embed/make_inputs.py; needs Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/bench/work/embed"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/embed/make_inputs.py
fi
exec bench/bench-java.sh --torch model-udf 8g org.cellspark.bench.FinetuneBenchmark "$WORK" \
  "${1:-48}" "${2:-512}" "${3:-8}" "${4:-6}" "${5:-3}" "${6:-cell}"
