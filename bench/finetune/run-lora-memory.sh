#!/usr/bin/env bash
# LoRA memory benchmark: an epoch of fine-tuning a V2-104M-shaped model, the whole model against
# upstream's LoRA adapters, each in a JVM of its own (peak resident set, seconds), ROUNDS rounds
# alternating, ratios to the whole model's run of the same round. Usage:
#   bench/finetune/run-lora-memory.sh [CELLS=16] [LENGTH=512] [BATCH=8] [ROUNDS=2]
# Uses bench/work/v2-104m (made once by bench/finetune/make_v2_model.py) and bench/work/embed's
# cells (bench/embed/make_inputs.py); both need Debian's python3-torch.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ -f bench/work/v2-104m/model.safetensors ]] || /usr/bin/python3 bench/finetune/make_v2_model.py
[[ -f bench/work/embed/cells.txt ]] || /usr/bin/python3 bench/embed/make_inputs.py
CELLS="${1:-16}"; LENGTH="${2:-512}"; BATCH="${3:-8}"; ROUNDS="${4:-2}"
echo "An epoch of $CELLS cells of $LENGTH tokens, batches of $BATCH, V2-104M's shape, one libtorch thread:"
for round in $(seq 1 "$ROUNDS"); do
  declare -A RSS SECONDS_
  for mode in whole lora; do
    line="$(bench/bench-java.sh --torch model-udf 2g org.cellspark.bench.LoraMemoryBenchmark \
      bench/work/v2-104m bench/work/embed/cells.txt "$mode" "$CELLS" "$LENGTH" "$BATCH" | grep '^mode ')"
    export CELLSPARK_BENCH_BUILT=1
    echo "  round $round: $line"
    RSS[$mode]="$(awk '{print $4}' <<<"$line")"
    SECONDS_[$mode]="$(awk '{print $6}' <<<"$line")"
  done
  awk -v r="$round" -v rw="${RSS[whole]}" -v rl="${RSS[lora]}" -v sw="${SECONDS_[whole]}" -v sl="${SECONDS_[lora]}" \
    'BEGIN { printf "  round %d: LoRA / whole model: peak RSS %.2f (%d MB less), epoch seconds %.2f\n", r, rl / rw, rw - rl, sl / sw }'
done
