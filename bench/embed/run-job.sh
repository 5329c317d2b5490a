#!/usr/bin/env bash
# Spark's overhead in `cellspark embed`: the job end to end on local[THREADS] vs the raw engine on
# the same 200 cells, in one run.  Usage: bench/embed/run-job.sh [THREADS=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
WORK="$ROOT/bench/work/embed"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/embed/make_inputs.py
fi
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl spark-jobs dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ROOT/bench/work/embed-job.classpath" >/dev/null
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx8g $(cat conf/java17-options) \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
  -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "spark-jobs/target/test-classes:spark-jobs/target/classes:$(cat "$ROOT/bench/work/embed-job.classpath")" \
  org.cellspark.bench.EmbedJobBenchmark "$WORK" "$THREADS"
