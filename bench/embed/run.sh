#!/usr/bin/env bash
# Embed benchmark: Cellspark's engine on CPU vs PyTorch eager (same weights and cells), length-grouped
# vs arrival-order batching, and the SQL functions row by row vs batched. Usage:
#   bench/embed/run.sh [THREADS=2] [SQL_CELLS=16]
# Makes bench/work/embed/ once (needs /usr/bin/python3 with torch: Debian's python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${1:-2}"
SQL_CELLS="${2:-16}"
WORK="$ROOT/bench/work/embed"
cd "$ROOT"
if [[ ! -f "$WORK/cells.txt" ]]; then
  /usr/bin/python3 bench/embed/make_inputs.py
fi
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl model-udf dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ROOT/bench/work/embed.classpath" >/dev/null
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx8g $(cat conf/java17-options) \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
  -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "model-udf/target/test-classes:model-udf/target/classes:$(cat "$ROOT/bench/work/embed.classpath")" \
  org.cellspark.bench.EmbedBenchmark "$WORK" "$THREADS" "$SQL_CELLS"
