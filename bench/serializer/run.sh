#!/usr/bin/env bash
# Serializer benchmark: Java serialization (Spark's default) against Kryo with Cellspark's shuffled
# classes registered, on exact medians and Matrix Market tokenize, alternating rounds in one run.
#   bench/serializer/run.sh [CELLS=20000] [THREADS=2] [HEAP=6g] [ROUNDS=3]
# Uses the formats benchmark's inputs (bench/atlas.sh, bench/formats/make_inputs.py), made once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-20000}"
THREADS="${2:-2}"
HEAP="${3:-6g}"
ROUNDS="${4:-3}"
WORK="$ROOT/bench/work"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
INPUTS="$WORK/formats_${CELLS}"
if [[ ! -f "$INPUTS/mtx/matrix.mtx.gz" ]]; then
  /usr/bin/python3 "$ROOT/bench/formats/make_inputs.py" "$ATLAS" "$INPUTS"
fi
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "$HEAP" org.cellspark.bench.SerializerBenchmark "$ATLAS" "$INPUTS/mtx" "$WORK/serializer_${CELLS}" "$THREADS" "$ROUNDS"
