#!/usr/bin/env bash
# What finetune does before training: its cells shuffled to one training task (a plain fine-tune)
# or to one task per fold (--folds K), each task packing them as training does, against reading
# the same token table once, in one run.
#   bench/finetune/run-unit-cells.sh [CELLS=50000] [FOLDS=5] [THREADS=2] [ROUNDS=3] [HEAP=6g]
# Writes the synthetic table under bench/work/unit_cells_<CELLS> once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-50000}"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "${5:-6g}" org.cellspark.jobs.finetune.UnitCellsBenchmark \
  "$CELLS" "${2:-5}" "$ROOT/bench/work/unit_cells_${CELLS}" "${3:-2}" "${4:-3}"
