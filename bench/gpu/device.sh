#!/usr/bin/env bash
# The GPU tests and every GPU measurement in one call, for a GPU machine reached through the
# project's device tool (model-udf and its runtime brought along as .gpu/, JUnit's jars as
# .gpu-tests/ from bench/gpu/test-jars.sh; see bench/gpu/README.md):
#   source .gpu/device-env.sh && bench/gpu/device.sh "$OUT"
# The inputs (random models up to V2-316M, 1.3 GB) are made in WORK, outside OUT; OUT receives the
# tests' report, the benchmarks' log, every JSON file and the GPU's description.
set -euo pipefail
OUT="${1:?usage: bench/gpu/device.sh OUT}"
WORK="${WORK:-/tmp/cellspark-gpu}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${JAVA:?source .gpu/device-env.sh first: it sets JAVA, JAVA_OPTS and CLASSPATH}"
mkdir -p "$OUT" "$WORK"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
start=$(date +%s)
if [[ -d "$ROOT/.gpu-tests" ]]; then
  # From the repository root: the tests read their fixtures from the source tree.
  (cd "$ROOT" && "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH:$(printf '%s:' "$ROOT"/.gpu-tests/*.jar)" \
    org.cellspark.testing.GpuTests) 2>&1 | tee "$OUT/gpu-tests.log" || true
else
  echo "no .gpu-tests/ (bench/gpu/test-jars.sh): GPU tests not run" | tee "$OUT/gpu-tests.log"
fi
# A fine-tuned folder as transformers loads it (no GPU needed; the device has transformers).
(cd "$ROOT" && "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH" org.cellspark.bench.FineTunedFolderExport \
  "$WORK/finetuned" && python3 bench/gpu/check_finetuned_folder.py "$WORK/finetuned") 2>&1 \
  | tee "$OUT/finetuned-folder.log" || true
"$ROOT/bench/gpu/run.sh" "$WORK" 2>&1 | tee "$OUT/run.log"
cp "$WORK"/*.json "$OUT"/
echo "bench/gpu/device.sh: $(( $(date +%s) - start )) s" | tee -a "$OUT/run.log"
