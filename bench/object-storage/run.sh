#!/usr/bin/env bash
# Object storage benchmark: read a large h5ad from S3 (s3proxy on loopback) by ranged reads and by a
# local copy, against the local file.   bench/object-storage/run.sh [CELLS=1000000] [THREADS=2] [HEAP=6g]
# Uses bench/work/atlas_<CELLS>.h5ad (made by bench/tokenize/make_atlas.py when missing; 1M cells = 5 GB).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-1000000}"
THREADS="${2:-2}"
HEAP="${3:-6g}"
WORK="$ROOT/bench/work"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.ObjectStorageBenchmark "$ATLAS" "$WORK/object-storage" "$THREADS"
