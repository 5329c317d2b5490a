#!/usr/bin/env bash
# pretrain --data-parallel 2 against one task accumulating 2 batches a step (the same training:
# same batches, masks, steps), through spark-submit on a local cluster of two executor JVMs, one
# core and one libtorch thread each, in one run: the time of the whole command (reading the
# tokens, the validation sample, the shuffle to the training tasks, the training, model/) and of
# the training loop (each worker's epoch lines in its executor's log: their seconds, and the time
# it spent summing gradients), rounds alternating; first, two independent one-task runs side by side against one
# alone (what the machine gives two trainings at once: the ceiling of any speed-up here). Usage:
#   bench/data-parallel/run.sh [CELLS=30] [EPOCHS=1] [ROUNDS=2] [BATCH_TOKENS=4096]
# The model is V1-10M-shaped (6 layers, hidden 256, Geneformer V1's 25,426-token vocabulary; a
# new model from bench/data-parallel/v1-10m.json); the cells a seeded sample of CELLS of 2,000
# synthetic cells (256 to 2,048 random V1 genes, mean about 1,150), written once into
# bench/work/data-parallel/tokens.
# CELLSPARK_MVN_OPTS is passed to Maven (-o offline); CELLSPARK_BENCH_BUILT=1 skips the build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CELLS="${1:-30}"
EPOCHS="${2:-1}"
ROUNDS="${3:-2}"
BATCH="${4:-4096}"
WORK="$ROOT/bench/work/data-parallel"
cd "$ROOT"
mkdir -p "$WORK"
if [[ "${CELLSPARK_BENCH_BUILT:-}" != "1" || ! -f app/target/cellspark-app-0.1.0-SNAPSHOT.jar ]]; then
  mvn -q -B ${CELLSPARK_MVN_OPTS:-} -DskipTests install >/dev/null
fi
if [[ ! -d "$WORK/tokens" ]]; then
  CELLSPARK_BENCH_BUILT=1 bench/bench-java.sh spark-jobs 2g org.cellspark.bench.SyntheticTokenTable \
    2000 2048 "$WORK/tokens" >/dev/null 2>&1
fi
LIBTORCH="$(ls ~/.m2/repository/ai/djl/pytorch/pytorch-native-cpu/*/pytorch-native-cpu-*-linux-x86_64.jar | head -1)"
SPARK_HOME="$ROOT/app/target/spark-home"

# One spark-submit of pretrain with these extra options; prints the run's total seconds and its
# validation loss.
submit() {
  local name="$1"
  shift
  rm -rf "$WORK/$name" "$WORK/.$name.cellspark-work"
  SPARK_HOME="$SPARK_HOME" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 DJL_OFFLINE=true \
    java -Xmx2g $(cat conf/java17-options) -cp "$SPARK_HOME/jars/*" \
    org.apache.spark.deploy.SparkSubmit --master 'local-cluster[2,1,3072]' \
    --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false \
    --conf spark.executorEnv.DJL_OFFLINE=true --conf spark.executorEnv.OPT_OUT_TRACKING=true \
    --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1" \
    --jars "$LIBTORCH" --class org.cellspark.cli.Main app/target/cellspark-app-0.1.0-SNAPSHOT.jar \
    pretrain --input "$WORK/tokens" --vocabulary builtin:geneformer-v1 --new-model bench/data-parallel/v1-10m.json \
    --max-cells "$CELLS" --validation-cells 20 --epochs "$EPOCHS" --batch-tokens "$BATCH" \
    --warmup-steps 2 --learning-rate 1e-3 --output "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1
  # The training loop's seconds and the time spent summing gradients, as each worker (or the one
  # task) logs at each epoch's end in its executor's log.
  local app
  app="$SPARK_HOME/work/$(grep -o "app-[0-9]*-[0-9]*" "$WORK/$name.log" | head -1)"
  for log in "$app"/*/stderr; do # a line per executor: LOOP,SUMMED for each epoch
    { grep -h "fine-tune: epoch [0-9]*/[0-9]*: training loss" "$log" || true; } |
      sed -E 's/.*\(([0-9.]+) s(; gradients summed in ([0-9.]+) s so far)?\).*/\1,\3/' |
      tr '\n' ' '
    echo
  done >"$WORK/$name.loop"
  /usr/bin/python3 - "$WORK/$name/_cellspark.json" "$WORK/$name.loop" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
loop, sums = 0.0, []
for line in open(sys.argv[2]):
    epochs = [e.split(",") for e in line.split()]
    if epochs:
        loop = max(loop, sum(float(e[0]) for e in epochs))
        if epochs[-1][1]:
            sums.append(epochs[-1][1])  # so far: after the last epoch
print(s["timings"]["total_seconds"], round(loop, 1), "/".join(sums) or "-", s["metrics"]["validation_loss"],
      s["training"]["batches_per_epoch"], ";".join(x.replace(" ", "") for x in s["training"]["trained_on"]))
PY
}

echo "pretrain, $CELLS cells, $EPOCHS epoch(s), $BATCH tokens a batch, V1-10M shape, local-cluster[2,1,3072], 1 libtorch thread an executor"
ratios=()
loops=()
# What the machine gives two trainings at once, whatever Cellspark does: two independent one-task
# runs side by side, against one alone (the ceiling of any two-worker speed-up here).
read -r _ alone _ < <(submit one-task --gradient-accumulation-steps 2)
submit side-a --gradient-accumulation-steps 2 >"$WORK/side-a.out" &
read -r _ sideb _ < <(submit side-b --gradient-accumulation-steps 2)
wait
read -r _ sidea _ <"$WORK/side-a.out"
echo "the machine: one training loop alone $alone s; two at once $sidea s and $sideb s:" \
  "two trainings' throughput $(/usr/bin/python3 -c "print(f'{2 * $alone / max($sidea, $sideb):.2f}')")x one's"
for r in $(seq 1 "$ROUNDS"); do
  read -r one loop1 _ loss1 batches where1 < <(submit one-task --gradient-accumulation-steps 2)
  read -r two loop2 summed loss2 _ where2 < <(submit two-workers --data-parallel 2)
  ratio=$(/usr/bin/python3 -c "print(f'{$one / $two:.2f}')")
  loop=$(/usr/bin/python3 -c "print(f'{$loop1 / $loop2:.2f}')")
  ratios+=("$ratio")
  loops+=("$loop")
  echo "round $r: one task (accumulating 2 of $batches batches a step, on $where1): command $one s," \
    "training loop $loop1 s; --data-parallel 2 (on $where2): command $two s, training loop $loop2 s" \
    "(each worker's time in the gradient sums, waits included: $summed s); ratios one / two: command $ratio, loop $loop;" \
    "validation loss $loss1 vs $loss2"
done
echo "ratios one task / two workers: command ${ratios[*]}; training loop ${loops[*]}"
