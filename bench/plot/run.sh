#!/usr/bin/env bash
# Plot benchmark: `cellspark plot --style umap` against scikit-learn's PCA + umap-learn's UMAP with
# scanpy's settings (what upstream's plot_embs runs), same embeddings, same machine, same run: time
# and layout quality (trustworthiness, neighbours of the same type) for each number of cells.
#   bench/plot/run.sh [THREADS=2] [DIMENSIONS=512] [CELLS...=1000 10000]
# Needs /usr/bin/python3 with numpy, scikit-learn and umap-learn (Debian: python3-sklearn,
# umap-learn).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
DIMS="${2:-512}"
shift $(( $# < 2 ? $# : 2 ))
CELLS=("$@")
[[ ${#CELLS[@]} -gt 0 ]] || CELLS=(1000 10000)
WORK="$ROOT/bench/work/plot"
cd "$ROOT"
exec bench/bench-java.sh spark-jobs 8g org.cellspark.bench.PlotBenchmark "$WORK" "$THREADS" "$DIMS" "${CELLS[@]}"
