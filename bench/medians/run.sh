#!/usr/bin/env bash
# Medians benchmark: `cellspark medians` (exact, then approximate) cells/s against the I/O floor of the
# same HDF5 reader on the tokenize benchmark's synthetic atlas, one run.
#   bench/medians/run.sh [CELLS=200000] [THREADS=2] [HEAP=6g] [MODE=both|exact]
# Makes bench/work/atlas_<CELLS>.h5ad once (bench/tokenize/make_atlas.py; /usr/bin/python3 with numpy, h5py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-200000}"
THREADS="${2:-2}"
HEAP="${3:-6g}"
MODE="${4:-both}"
WORK="$ROOT/bench/work"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.MediansBenchmark "$ATLAS" "$WORK/medians_${CELLS}" "$THREADS" "$CELLS" "$MODE"
