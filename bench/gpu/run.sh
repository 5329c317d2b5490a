#!/usr/bin/env bash
# GPU benchmark: Cellspark's engine through the JVM against transformers' BertModel (SDPA) on the
# same cells and token budget, V1-10M / V2-104M / V2-316M shapes, fp16 and bf16, with the device's
# bf16 matrix throughput for scale; a deletion screen against bench/perturb/gpu_rate.py; fine-tuning
# steps (bf16) against a Trainer-style PyTorch loop on the same batches (and pretraining steps,
# phase pretrain, against transformers' BertForMaskedLM; LoRA steps, phase lora, against the same
# adapters on BertModel); and the sweep that chooses
# the embed batch budget and graph optimiser for a GPU. bench/gpu/README.md says how to bring it to
# a GPU machine.
#   bench/gpu/run.sh [WORK=bench/work/gpu] [--smoke]
# PHASES (default "inference perturb finetune sweep"; empty: only make the inputs) picks and orders
# the parts; RESULTS (default WORK) is where each part's JSON goes as soon as it is measured.
# --smoke: a tiny shape on the CPU, to check the pipeline without a GPU (a Maven build here).
# On a GPU machine without Maven, set JAVA (and JAVA_OPTS, CLASSPATH holding model-udf's jar, its
# runtime jars and test classes) first; the Java steps then run with them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${1:-$ROOT/bench/work/gpu}"
SMOKE="${2:-}"
PYTHON="${PYTHON:-python3}"
PHASES="${PHASES-inference perturb finetune sweep}"
RESULTS="${RESULTS:-$WORK}"
mkdir -p "$WORK" "$RESULTS"
jvm() {
  if [[ -n "${JAVA:-}" ]]; then
    "$JAVA" ${JAVA_OPTS:-} -cp "$CLASSPATH" "$@"
  else
    (cd "$ROOT" && bench/bench-java.sh --torch model-udf 8g "$@")
  fi
}
inference() {
  "$PYTHON" "$ROOT/bench/gpu/pytorch_baseline.py" "$WORK" --out "$RESULTS/pytorch.json" $SMOKE
  # Kept in WORK too: a later call's fine-tuning part takes the bf16 peak from it.
  [[ "$RESULTS" -ef "$WORK" ]] || cp "$RESULTS/pytorch.json" "$WORK/pytorch.json"
  jvm org.cellspark.bench.GpuBenchmark "$WORK" "$RESULTS/pytorch.json" "$RESULTS/jvm.json"
}
# Deleting genes of one V2-104M cell of 4,096 tokens, fp16, 16,384 and 65,536 tokens a batch,
# against bench/perturb/gpu_rate.py's op-for-op restatement at the same budgets (smoke: the tiny
# shape, fp32, on the CPU).
perturb() {
  if [[ -n "$SMOKE" ]]; then
    "$PYTHON" "$ROOT/bench/perturb/gpu_rate.py" --out "$RESULTS/perturb_rates.json" --seconds 1 --smoke
    jvm org.cellspark.bench.GpuPerturbBenchmark "$WORK" "$RESULTS/perturb_rates.json" \
      "$RESULTS/jvm_perturb.json" smoke 128 32 2048
  else
    "$PYTHON" "$ROOT/bench/perturb/gpu_rate.py" --out "$RESULTS/perturb_rates.json" --seconds 3 \
      --shapes V2-104M
    jvm org.cellspark.bench.GpuPerturbBenchmark "$WORK" "$RESULTS/perturb_rates.json" \
      "$RESULTS/jvm_perturb.json"
  fi
}
finetune() {
  # GpuFinetuneBenchmark takes the bf16 peak from pytorch.json when the inference part ran before.
  "$PYTHON" "$ROOT/bench/gpu/finetune_baseline.py" "$WORK" --out "$RESULTS/pytorch_finetune.json" $SMOKE
  jvm org.cellspark.bench.GpuFinetuneBenchmark "$WORK" "$RESULTS/pytorch_finetune.json" \
    "$RESULTS/jvm_finetune.json" "$WORK/pytorch.json"
}
# Pretraining steps (masked genes, bf16) against transformers' BertForMaskedLM in the same loop.
pretrain() {
  "$PYTHON" "$ROOT/bench/gpu/finetune_baseline.py" "$WORK" --head mlm \
    --out "$RESULTS/pytorch_pretrain.json" $SMOKE
  jvm org.cellspark.bench.GpuFinetuneBenchmark "$WORK" "$RESULTS/pytorch_pretrain.json" \
    "$RESULTS/jvm_pretrain.json" "$WORK/pytorch.json" mlm
}
# LoRA fine-tuning steps (upstream's adapters, bf16) against the same adapters on BertModel.
lora() {
  "$PYTHON" "$ROOT/bench/gpu/finetune_baseline.py" "$WORK" --head lora \
    --out "$RESULTS/pytorch_lora.json" $SMOKE
  jvm org.cellspark.bench.GpuFinetuneBenchmark "$WORK" "$RESULTS/pytorch_lora.json" \
    "$RESULTS/jvm_lora.json" "$WORK/pytorch.json" lora
}
sweep() {
  if [[ -n "$SMOKE" ]]; then
    jvm org.cellspark.bench.GpuBudgetSweep "$WORK" "$RESULTS/jvm_sweep.json" smoke 256,1024
  else
    jvm org.cellspark.bench.GpuBudgetSweep "$WORK" "$RESULTS/jvm_sweep.json"
  fi
}
"$PYTHON" "$ROOT/bench/gpu/make_inputs.py" "$WORK" $SMOKE
for phase in $PHASES; do
  case "$phase" in
    inference | perturb | finetune | pretrain | lora | sweep) echo "== $phase"; "$phase" ;;
    *) echo "bench/gpu/run.sh: unknown phase '$phase' (inference, perturb, finetune, pretrain, lora, sweep)" >&2; exit 2 ;;
  esac
done
