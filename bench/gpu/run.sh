#!/usr/bin/env bash
# GPU benchmark: Cellspark's engine through the JVM against transformers' BertModel (SDPA) on the
# same cells and token budget, V1-10M / V2-104M / V2-316M shapes, fp16 and bf16, with the device's
# bf16 matrix throughput for scale; then fine-tuning steps (bf16) against a Trainer-style PyTorch
# loop on the same batches; then a deletion screen against bench/perturb/gpu_rate.py. bench/gpu/README.md says how to bring it to a GPU machine.
#   bench/gpu/run.sh [WORK=bench/work/gpu] [--smoke]
# --smoke: a tiny shape on the CPU, to check the pipeline without a GPU (a Maven build here).
# On a GPU machine without Maven, set JAVA (and JAVA_OPTS, CLASSPATH holding model-udf's jar, its
# runtime jars and test classes) first; the Java step then runs with them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${1:-$ROOT/bench/work/gpu}"
SMOKE="${2:-}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$WORK"
"$PYTHON" "$ROOT/bench/gpu/make_inputs.py" "$WORK" $SMOKE
"$PYTHON" "$ROOT/bench/gpu/pytorch_baseline.py" "$WORK" --out "$WORK/pytorch.json" $SMOKE
"$PYTHON" "$ROOT/bench/gpu/finetune_baseline.py" "$WORK" --out "$WORK/pytorch_finetune.json" $SMOKE
jvm() {
  if [[ -n "${JAVA:-}" ]]; then
    "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH" "$@"
  else
    (cd "$ROOT" && bench/bench-java.sh --torch model-udf 8g "$@")
  fi
}
jvm org.cellspark.bench.GpuBenchmark "$WORK" "$WORK/pytorch.json" "$WORK/jvm.json"
jvm org.cellspark.bench.GpuFinetuneBenchmark "$WORK" "$WORK/pytorch_finetune.json" \
  "$WORK/jvm_finetune.json" "$WORK/pytorch.json"
# Perturbation: deleting genes of one V2-104M cell of 4,096 tokens, fp16, 16,384 tokens a batch,
# against bench/perturb/gpu_rate.py's op-for-op restatement (smoke: the tiny shape, fp32, on CPU).
if [[ -n "$SMOKE" ]]; then
  "$PYTHON" "$ROOT/bench/perturb/gpu_rate.py" --out "$WORK/perturb_rates.json" --seconds 1 --smoke
  jvm org.cellspark.bench.GpuPerturbBenchmark "$WORK" "$WORK/perturb_rates.json" \
    "$WORK/jvm_perturb.json" smoke 128 32 2048
else
  "$PYTHON" "$ROOT/bench/perturb/gpu_rate.py" --out "$WORK/perturb_rates.json" --seconds 3 \
    --shapes V2-104M
  jvm org.cellspark.bench.GpuPerturbBenchmark "$WORK" "$WORK/perturb_rates.json" \
    "$WORK/jvm_perturb.json"
fi
