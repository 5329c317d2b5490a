#!/usr/bin/env bash
# Gene-classifier benchmark: `classify apply` with a gene classifier (every gene of every cell
# classified, scored against 200 genes of known class) on local[THREADS], against PyTorch eager
# doing the same classification and per-gene sums on the same cells and weights, same run. Usage:
#   bench/gene-classify/run.sh [THREADS=2]
# Makes bench/work/gene-classify/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
WORK="$ROOT/bench/work/gene-classify"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/gene-classify/make_inputs.py
fi
exec bench/bench-java.sh --torch spark-jobs 6g org.cellspark.bench.GeneClassifyBenchmark "$WORK" "$THREADS"
