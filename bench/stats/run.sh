#!/usr/bin/env bash
# Stats benchmark: `cellspark stats --mode goal-state-shift` against upstream's procedure in Python
# (SciPy ranksums per gene, statsmodels BH) on one synthetic genome-wide screen, same machine, same run.
#   bench/stats/run.sh [THREADS=2] [CELLS=1000] [GENES_PER_CELL=1000] [GENES=20000]
# Needs /usr/bin/python3 with numpy, scipy and statsmodels (Debian: python3-scipy, python3-statsmodels).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
CELLS="${2:-1000}"
PER_CELL="${3:-1000}"
GENES="${4:-20000}"
WORK="$ROOT/bench/work/stats"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs 6g org.cellspark.bench.StatsBenchmark "$WORK" "$THREADS" "$CELLS" "$PER_CELL" "$GENES"
