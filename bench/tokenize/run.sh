#!/usr/bin/env bash
# Tokenize benchmark: tokenize cells/s on local[2] vs the I/O floor of the same HDF5 reader, and peak
# heap, in one run. Usage:
#   bench/tokenize/run.sh [CELLS=200000] [HEAP=4g]
# Generates bench/work/atlas_<CELLS>.h5ad once (needs /usr/bin/python3 with numpy and h5py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-200000}"
HEAP="${2:-4g}"
WORK="$ROOT/bench/work"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.TokenizeBenchmark "$ATLAS" "$WORK/out_${CELLS}" 2
