#!/usr/bin/env bash
# Runs one benchmark main class, the way every bench/*/run.sh does: installs the project, writes the
# module's test classpath to bench/work/<module>-bench.classpath, and runs the class on Java 17
# with the project's JVM options and log configuration.
#   bench/bench-java.sh [--torch] MODULE HEAP MAIN_CLASS [ARGS...]
# --torch: offline DJL with one libtorch thread per task (the model benchmarks).
# CELLSPARK_MVN_OPTS is passed to Maven (e.g. -o to stay offline); CELLSPARK_BENCH_BUILT=1 skips
# the build and classpath steps (scripts that run several classes set it after the first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TORCH=()
if [[ "${1:-}" == "--torch" ]]; then
  TORCH=(-Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1)
  shift
fi
MODULE="$1"
HEAP="$2"
MAIN="$3"
shift 3
CLASSPATH_FILE="$ROOT/bench/work/$MODULE-bench.classpath"
mkdir -p "$ROOT/bench/work"
cd "$ROOT"
if [[ "${CELLSPARK_BENCH_BUILT:-}" != "1" || ! -f "$CLASSPATH_FILE" ]]; then
  mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
  mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl "$MODULE" dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$CLASSPATH_FILE" >/dev/null
fi
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx"$HEAP" $(cat conf/java17-options) \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" "${TORCH[@]}" \
  -cp "$MODULE/target/test-classes:$MODULE/target/classes:$(cat "$CLASSPATH_FILE")" \
  "$MAIN" "$@"
