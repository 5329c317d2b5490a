#!/usr/bin/env bash
# What a screen's checkpoints cost on HDFS: one gene-list screen of the demo atlas (a small work
# unit per cell) with its output on local disk and on a real HDFS started in the JVM, alternating.
#   bench/perturb/run-checkpoints.sh [THREADS=2] [ROUNDS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
exec bench/bench-java.sh --torch spark-jobs 4g org.cellspark.bench.CheckpointBenchmark \
  "$ROOT/bench/work/checkpoints" "${1:-2}" "${2:-3}"
