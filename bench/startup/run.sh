#!/usr/bin/env bash
# Start-up benchmark: bin/cellspark commands on one machine with and without a class-data archive
# (the JVM maps the classes an earlier run loaded, from one file, instead of finding, reading and
# verifying each in the jars again), taking turns in the same run.
#   bench/startup/run.sh [ROUNDS=3]
# Makes its inputs with `bin/cellspark demo` (which builds the project on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS="${1:-3}"
WORK="$ROOT/bench/work/startup"
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$ROOT"
ARCHIVE="$WORK/cellspark.jsa"
# The demo's inputs and outputs, and the archive, as users make it: the launcher's first run with
# CELLSPARK_CLASS_ARCHIVE writes the classes it loaded (every job's) as the JVM exits. (A first run
# builds the project before the JVM starts.)
bin/cellspark demo --workdir "$WORK/demo" >"$WORK/demo.log" 2>&1
CELLSPARK_CLASS_ARCHIVE="$ARCHIVE" \
  bin/cellspark demo --workdir "$WORK/demo-archived" >"$WORK/demo-archived.log" 2>&1

# Seconds one command takes end to end (launcher start to JVM exit) with CELLSPARK_CLASS_ARCHIVE
# set to $1 (empty: no archive).
timed() {
  local archive="$1"
  shift
  local start end
  start=$(date +%s.%N)
  if ! CELLSPARK_CLASS_ARCHIVE="$archive" bin/cellspark "$@" >"$WORK/last.log" 2>&1; then
    cat "$WORK/last.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

tokenize=(tokenize --input "$WORK/demo/input/sample_atlas.h5ad" --vocabulary builtin:geneformer-v1
  --attribute cell_type --attribute donor --output "$WORK/tokens" --overwrite)
classify=(classify --embeddings "$WORK/demo/embeddings/cells" --label cell_type --group donor
  --output "$WORK/classifier" --overwrite)

echo "archive: $(du -m "$ARCHIVE" | cut -f1) MB, $ARCHIVE"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

for name in tokenize classify; do
  declare -n cmd="$name"
  without=()
  with=()
  for ((r = 0; r < ROUNDS; r++)); do
    without+=("$(timed "" "${cmd[@]}")")
    with+=("$(timed "$ARCHIVE" "${cmd[@]}")")
  done
  a=$(median "${without[@]}")
  b=$(median "${with[@]}")
  printf '%-9s without archive %6.2f s, with %6.2f s (median of %d); ratio with / without %.2f\n' \
    "$name" "$a" "$b" "$ROUNDS" "$(echo "$b / $a" | bc -l)"
done
