#!/usr/bin/env bash
# Perturb benchmark: `cellspark perturb` (all genes of 40 cells, delete) on local[THREADS] vs a
# PyTorch eager loop following upstream's per-cell batching, same weights, cells and CPU, one run.
#   bench/perturb/run.sh [THREADS=2] [CELLS=0 (all)]
# Makes bench/work/perturb/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
CELLS="${2:-0}"
WORK="$ROOT/bench/work/perturb"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/perturb/make_inputs.py
fi
exec bench/bench-java.sh --torch spark-jobs 8g org.cellspark.bench.PerturbJobBenchmark "$WORK" "$THREADS" "$CELLS"
