#!/usr/bin/env bash
# Memory at scale: tokenize a synthetic atlas and embed part of it with the tiny fixture model, each
# run in a JVM of its own with a small heap (local[2]: the driver is the executor), at several
# partition counts, i.e. cells per partition. Prints each run's peak RSS, peak heap and peak heap
# after a collection, and the ratio of each to the run with the fewest cells per partition
# (measured in the same run of this script).
#   bench/memory/run.sh [TOKENIZE_CELLS=1000000] [EMBED_CELLS=100000] [HEAP=1g]
# Makes bench/work/atlas_<CELLS>.h5ad for both sizes once (bench/atlas.sh). Writes under
# bench/work/memory/ (results.txt: one RESULT line per run; run.log: everything).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-1000000}"
EMBED_CELLS="${2:-100000}"
HEAP="${3:-1g}"
OUT="$ROOT/bench/work/memory"
MODEL="$ROOT/spark-jobs/src/test/resources/fixtures/models/v1-tiny"
mkdir -p "$OUT"
ATLAS="$("$ROOT/bench/atlas.sh" "$CELLS")"
EMBED_ATLAS="$("$ROOT/bench/atlas.sh" "$EMBED_CELLS")"
RESULTS="$OUT/results.txt"
: > "$RESULTS"
: > "$OUT/run.log"

measure() { # LABEL cellspark-args...
  "$ROOT/bench/bench-java.sh" --torch spark-jobs "$HEAP" org.cellspark.bench.MemoryBenchmark "$@" >> "$OUT/run.log" 2>&1
  grep '^RESULT' "$OUT/run.log" | tail -n 1 | tee -a "$RESULTS"
  export CELLSPARK_BENCH_BUILT=1
}

echo "memory benchmark: $(nproc) cores, heap $HEAP per JVM, $CELLS cells to tokenize, $EMBED_CELLS to embed"
for P in 8 32 128; do
  measure "tokenize cells=$CELLS partitions=$P" tokenize --input "$ATLAS" --vocabulary builtin:geneformer-v1 \
    --partitions "$P" --output "$OUT/tokens_$P" --overwrite
done
# The embed input: the smaller atlas's tokens (its RESULT line is not part of the comparison).
measure "prepare cells=$EMBED_CELLS partitions=0" tokenize --input "$EMBED_ATLAS" --vocabulary builtin:geneformer-v1 \
  --output "$OUT/embed_tokens" --overwrite >/dev/null
for P in 2 20 200; do
  measure "embed cells=$EMBED_CELLS partitions=$P" embed --input "$OUT/embed_tokens" --model "$MODEL" \
    --partitions "$P" --output "$OUT/embeddings_$P" --overwrite
done
rm -rf "$OUT"/tokens_* "$OUT"/embeddings_*

echo
echo "cells per partition vs memory (ratios: to the same job's run with the fewest cells per partition)"
awk '
  /^RESULT (tokenize|embed) / {
    job = $2; split($3, c, "="); split($4, p, "="); cpp = c[2] / p[2]
    for (i = 5; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    n++; J[n] = job; CPP[n] = cpp; S[n] = v["seconds"]; R[n] = v["rss_mb"]; H[n] = v["heap_peak_mb"]; G[n] = v["heap_after_gc_mb"]
    if (!(job in base) || cpp < CPP[base[job]]) base[job] = n
  }
  END {
    printf "%-9s %14s %9s %9s %6s %14s %6s %16s %6s\n", "job", "cells/part.", "seconds", "RSS MB", "ratio", "heap peak MB", "ratio", "heap after GC MB", "ratio"
    for (i = 1; i <= n; i++) {
      b = base[J[i]]
      printf "%-9s %14d %9.1f %9d %6.2f %14d %6.2f %16d %6.2f\n", J[i], CPP[i], S[i], R[i], R[i] / R[b], H[i], H[i] / H[b], G[i], G[i] / G[b]
    }
  }' "$RESULTS"
