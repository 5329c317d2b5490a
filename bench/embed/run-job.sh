#!/usr/bin/env bash
# Spark's overhead in `cellspark embed`: the job end to end on local[THREADS] vs the raw engine on
# the same 200 cells, in one run.  Usage: bench/embed/run-job.sh [THREADS=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
WORK="$ROOT/bench/work/embed"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/embed/make_inputs.py
fi
exec bench/bench-java.sh --torch spark-jobs 8g org.cellspark.bench.EmbedJobBenchmark "$WORK" "$THREADS"
