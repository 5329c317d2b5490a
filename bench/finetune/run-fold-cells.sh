#!/usr/bin/env bash
# What finetune-genes does before training: every fold's cells found and sampled (--max-cells) and
# shuffled to the fold tasks (with TRIALS > 1, to each of a --search's trials of every fold),
# against reading the same token table once, in one run.
#   bench/finetune/run-fold-cells.sh [CELLS=100000] [FOLDS=5] [MAX_CELLS=10000] [THREADS=2] [ROUNDS=3] [HEAP=6g] [TRIALS=1]
# Writes the synthetic table under bench/work/fold_cells_<CELLS> once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-100000}"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs "${6:-6g}" org.cellspark.jobs.genes.FoldCellsBenchmark \
  "$CELLS" "${2:-5}" "${3:-10000}" "$ROOT/bench/work/fold_cells_${CELLS}" "${4:-2}" "${5:-3}" "${7:-1}"
