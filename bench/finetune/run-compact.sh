#!/usr/bin/env bash
# A training task's cells held packed (CompactTokens, 2 bytes a token) against int arrays, in one
# run: the heap they keep and the time to assemble an epoch's batches from them. Usage:
#   bench/finetune/run-compact.sh [CELLS=100000] [ROUNDS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
exec bench/bench-java.sh model-udf 6g org.cellspark.bench.CompactTokensBenchmark "${1:-100000}" "${2:-3}"
