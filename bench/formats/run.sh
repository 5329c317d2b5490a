#!/usr/bin/env bash
# Formats benchmark: tokenize cells/s from the same cells as .h5ad, loom, Cell Ranger .h5 and a
# gzipped Matrix Market folder, and an AnnData zarr store, one run.
#   bench/formats/run.sh [CELLS=20000] [THREADS=2] [HEAP=4g] [ROUNDS=1] [FORMATS=zarr,zarr-csc,zarr-v3,zarr-sharded,loom,cellranger,mtx]
# Makes bench/work/atlas_<CELLS>.h5ad (bench/atlas.sh) and its rewrites (make_inputs.py) once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-20000}"
THREADS="${2:-2}"
HEAP="${3:-4g}"
ROUNDS="${4:-1}"
FORMATS="${5:-zarr,zarr-csc,zarr-v3,zarr-sharded,loom,cellranger,mtx}"
WORK="$ROOT/bench/work"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
INPUTS="$WORK/formats_${CELLS}"
if [[ ! -f "$INPUTS/mtx/matrix.mtx.gz" || ! -f "$INPUTS/atlas.loom" || ! -f "$INPUTS/atlas.zarr/.zgroup" || ! -f "$INPUTS/atlas_csc.zarr/.zgroup" || ! -f "$INPUTS/atlas_v3.zarr/zarr.json" || ! -f "$INPUTS/atlas_sharded.zarr/zarr.json" ]]; then
  /usr/bin/python3 "$ROOT/bench/formats/make_inputs.py" "$ATLAS" "$INPUTS"
fi
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.FormatsBenchmark "$ATLAS" "$INPUTS" "$WORK/formats_out_${CELLS}" "$THREADS" "$ROUNDS" "$FORMATS"
