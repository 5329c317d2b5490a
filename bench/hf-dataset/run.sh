#!/usr/bin/env bash
# Token tables as Cellspark's Parquet vs upstream's Hugging Face dataset (one dataset.arrow, as
# datasets 1.x saved a corpus), read as the model jobs read them, one run.
#   bench/hf-dataset/run.sh [CELLS=50000] [MAX_TOKENS=2048] [THREADS=2] [ROUNDS=3] [HEAP=4g]
# Writes both tables under bench/work/hf_<CELLS>_<MAX_TOKENS> once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-50000}"
MAX_TOKENS="${2:-2048}"
THREADS="${3:-2}"
ROUNDS="${4:-3}"
HEAP="${5:-4g}"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.HfDatasetBenchmark \
  "$CELLS" "$MAX_TOKENS" "$ROOT/bench/work/hf_${CELLS}_${MAX_TOKENS}" "$THREADS" "$ROUNDS"
