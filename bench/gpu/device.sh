#!/usr/bin/env bash
# The GPU tests and every GPU measurement, for a GPU machine reached through the project's device
# tool (model-udf and its runtime brought along as .gpu/, JUnit's jars as .gpu-tests/ from
# bench/gpu/test-jars.sh; see bench/gpu/README.md):
#   source .gpu/device-env.sh && bench/gpu/device.sh "$OUT" [PART...]
# Parts, run in the order given (default: all, most wanted first): inputs inference perturb tests
# finetune sweep folder arrow pretrain lora. Each runs under a time limit of its own (LIMIT_<part> seconds, defaults below), so
# one that hangs or overruns costs only itself, and each part's results land in OUT as soon as it
# ends: a call cut short still returns what was measured. DEADLINE (seconds) caps the whole run:
# each part's limit shrinks to the time left, and a part with under 20 s left is skipped (set it a
# little under the device call's timeout). OUT/parts.txt says how each part ended and how long it
# took. The inputs (random models up to V2-316M, 1.3 GB) are made in WORK, outside
# OUT, and kept there: a second call on the same machine reuses them. SMOKE=--smoke runs the
# benchmark parts on the tiny shape on the CPU (checks this script without a GPU).
set -uo pipefail
OUT="${1:?usage: bench/gpu/device.sh OUT [inputs inference perturb tests finetune sweep folder arrow pretrain lora]}"
shift
PARTS=("$@")
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=(inputs inference perturb tests finetune sweep folder arrow pretrain lora)
WORK="${WORK:-/tmp/cellspark-gpu}"
SMOKE="${SMOKE:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${JAVA:?source .gpu/device-env.sh first: it sets JAVA, JAVA_OPTS and CLASSPATH}"
mkdir -p "$OUT" "$WORK"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
declare -A LIMIT=([inputs]=120 [inference]=300 [perturb]=120 [tests]=150 [finetune]=180 [sweep]=180 [folder]=90 [arrow]=30 [pretrain]=180 [lora]=150)

tests() {
  if [[ -d "$ROOT/.gpu-tests" ]]; then
    # From the repository root: the tests read their fixtures from the source tree.
    cd "$ROOT" && "$JAVA" ${JAVA_OPTS:-} \
      -cp "$CLASSPATH:$(printf '%s:' "$ROOT"/.gpu-tests/*.jar)" org.cellspark.testing.GpuTests
  else
    echo "no .gpu-tests/ (bench/gpu/test-jars.sh): GPU tests not run"
  fi
}
# A fine-tuned and a pretrained folder as transformers loads them (no GPU needed; the device has
# transformers).
folder() {
  cd "$ROOT" && "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH" org.cellspark.bench.FineTunedFolderExport \
    "$WORK/finetuned" && "${PYTHON:-python3}" bench/gpu/check_finetuned_folder.py "$WORK/finetuned"
  local finetuned=$?
  "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH" org.cellspark.train.PretrainedFolderExport \
    "$WORK/pretrained" && "${PYTHON:-python3}" bench/gpu/check_pretrained_folder.py "$WORK/pretrained"
  local pretrained=$?
  return $(( finetuned || pretrained ))
}
# Hugging Face token datasets written by pyarrow (and datasets, if installed) for the .dataset
# reader's tests: no GPU needed, only the Python tools the build machines lack.
arrow() {
  cd "$ROOT" && "${PYTHON:-python3}" bench/gpu/make_arrow_fixtures.py "$OUT/hf" \
    --check "$ROOT/.gpu-tests/written.dataset"
}
benchmark() {
  RESULTS="$OUT" PHASES="$1" "$ROOT/bench/gpu/run.sh" "$WORK" ${SMOKE:-}
}

export -f tests folder arrow benchmark
export ROOT WORK OUT SMOKE
start=$(date +%s)
for part in "${PARTS[@]}"; do
  [[ -n "${LIMIT[$part]:-}" ]] || { echo "unknown part '$part'" >&2; exit 2; }
  var="LIMIT_$part"
  limit="${!var:-${LIMIT[$part]}}"
  if [[ -n "${DEADLINE:-}" ]]; then
    left=$(( DEADLINE - ($(date +%s) - start) - 10 ))
    if (( left < 20 )); then
      echo "$part: skipped, $left s left of DEADLINE=$DEADLINE" | tee -a "$OUT/parts.txt"
      continue
    fi
    (( limit <= left )) || limit=$left
  fi
  t=$(date +%s)
  case "$part" in
    tests | folder | arrow) timeout -k 10 "$limit" bash -c "$part" ;;
    inputs) timeout -k 10 "$limit" bash -c 'benchmark ""' ;;
    *) timeout -k 10 "$limit" bash -c "benchmark $part" ;;
  esac > "$OUT/$part.log" 2>&1
  rc=$?
  case $rc in 0) how=done ;; 124 | 137) how="cut at $limit s" ;; *) how="failed (exit $rc)" ;; esac
  tail -n 40 "$OUT/$part.log"
  echo "$part: $how, $(( $(date +%s) - t )) s" | tee -a "$OUT/parts.txt"
done
echo "bench/gpu/device.sh: $(( $(date +%s) - start )) s" | tee -a "$OUT/parts.txt"
