#!/usr/bin/env bash
# Embed benchmark: Cellspark's engine on CPU vs PyTorch eager (same weights and cells), length-grouped
# vs arrival-order batching, and the SQL functions row by row vs batched. Usage:
#   bench/embed/run.sh [THREADS=2] [SQL_CELLS=16]
# Makes bench/work/embed/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
SQL_CELLS="${2:-16}"
WORK="$ROOT/bench/work/embed"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/embed/make_inputs.py
fi
exec bench/bench-java.sh --torch model-udf 8g org.cellspark.bench.EmbedBenchmark "$WORK" "$THREADS" "$SQL_CELLS"
