#!/usr/bin/env bash
# Every GPU measurement in one call, for a GPU machine reached through the project's device tool
# (model-udf and its runtime brought along as .gpu/, see bench/gpu/README.md):
#   source .gpu/device-env.sh && bench/gpu/device.sh "$OUT"
# The inputs (random models up to V2-316M, 1.3 GB) are made in WORK, outside OUT; OUT receives the
# log, the four JSON files and the GPU's description.
set -euo pipefail
OUT="${1:?usage: bench/gpu/device.sh OUT}"
WORK="${WORK:-/tmp/cellspark-gpu}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${JAVA:?source .gpu/device-env.sh first: it sets JAVA, JAVA_OPTS and CLASSPATH}"
mkdir -p "$OUT" "$WORK"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
start=$(date +%s)
"$ROOT/bench/gpu/run.sh" "$WORK" 2>&1 | tee "$OUT/run.log"
cp "$WORK"/pytorch.json "$WORK"/jvm.json "$WORK"/pytorch_finetune.json "$WORK"/jvm_finetune.json "$OUT"/
echo "bench/gpu/device.sh: $(( $(date +%s) - start )) s" | tee -a "$OUT/run.log"
