#!/usr/bin/env bash
# tokenize to Parquet vs tokenize to a Hugging Face dataset (--output-format dataset), the same
# synthetic atlas, one run.
#   bench/hf-dataset/run-tokenize.sh [CELLS=100000] [THREADS=2] [ROUNDS=3] [HEAP=4g]
# Generates bench/work/atlas_<CELLS>.h5ad once (bench/atlas.sh: /usr/bin/python3 with numpy, h5py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-100000}"
THREADS="${2:-2}"
ROUNDS="${3:-3}"
HEAP="${4:-4g}"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.TokenizeOutputBenchmark \
  "$ATLAS" "$ROOT/bench/work/tokenize_output_${CELLS}" "$THREADS" "$ROUNDS"
