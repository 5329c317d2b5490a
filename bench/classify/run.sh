#!/usr/bin/env bash
# Classify benchmark: `cellspark classify` (logistic regression, 4-setting grid, donor splits) against
# scikit-learn doing the same on the same embeddings and splits, same machine, same run; then the
# same cross-validated (classify --folds FOLDS) against scikit-learn on the same folds.
#   bench/classify/run.sh [THREADS=2] [CELLS=100000] [DIMENSIONS=256] [CLASSES=10] [DONORS=40]
#                         [FOLDS=5]
# Needs /usr/bin/python3 with numpy and scikit-learn (Debian: python3-sklearn).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
CELLS="${2:-100000}"
DIMS="${3:-256}"
CLASSES="${4:-10}"
DONORS="${5:-40}"
FOLDS="${6:-5}"
WORK="$ROOT/bench/work/classify"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs 8g org.cellspark.bench.ClassifyBenchmark "$WORK" "$THREADS" "$CELLS" "$DIMS" "$CLASSES" "$DONORS" "$FOLDS"
