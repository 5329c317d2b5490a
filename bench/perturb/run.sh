#!/usr/bin/env bash
# Perturb benchmark: `cellspark perturb` (all genes of 40 cells, delete) on local[THREADS] vs a
# PyTorch eager loop following upstream's per-cell batching, same weights, cells and CPU, one run.
#   bench/perturb/run.sh [THREADS=2] [CELLS=0 (all)]
# Makes bench/work/perturb/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
CELLS="${2:-0}"
WORK="$ROOT/bench/work/perturb"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/perturb/make_inputs.py
fi
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl spark-jobs dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ROOT/bench/work/perturb.classpath" >/dev/null
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx8g $(cat conf/java17-options) \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
  -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "spark-jobs/target/test-classes:spark-jobs/target/classes:$(cat "$ROOT/bench/work/perturb.classpath")" \
  org.cellspark.bench.PerturbJobBenchmark "$WORK" "$THREADS" "$CELLS"
