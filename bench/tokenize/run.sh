#!/usr/bin/env bash
# Tokenize benchmark: tokenize cells/s on local[2] vs the I/O floor of the same HDF5 reader, and peak
# heap, in one run. Usage:
#   bench/tokenize/run.sh [CELLS=200000] [HEAP=4g]
# Generates bench/work/atlas_<CELLS>.h5ad once (needs /usr/bin/python3 with numpy and h5py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-200000}"
HEAP="${2:-4g}"
WORK="$ROOT/bench/work"
ATLAS="$WORK/atlas_${CELLS}.h5ad"
mkdir -p "$WORK"
if [[ ! -f "$ATLAS" ]]; then
  /usr/bin/python3 "$ROOT/bench/tokenize/make_atlas.py" "$ATLAS" --cells "$CELLS"
fi
cd "$ROOT"
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl spark-jobs dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/bench.classpath" >/dev/null
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx"$HEAP" $(cat conf/java17-options) \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "spark-jobs/target/test-classes:spark-jobs/target/classes:$(cat "$WORK/bench.classpath")" \
  org.cellspark.bench.TokenizeBenchmark "$ATLAS" "$WORK/out_${CELLS}" 2
