#!/usr/bin/env bash
# The measurements behind `train`'s choice of model size (README, "Choosing a model size"):
#
#   Benchmarks/sizing.sh loss CORPUS STEPS CHARS LAYERS×HIDDEN:DROPOUT...
#       the held-out loss curve (every STEPS/6 steps up to STEPS; batch 50 × seq 50, constant
#       lr 2e-3, seed 1) of each size on the first CHARS bytes of CORPUS (its last 10% held
#       out). Steps, not time: the curve does not depend on how loaded the machine is.
#   Benchmarks/sizing.sh speed CORPUS LAYERS×HIDDEN...
#       training speed (chars/s) of each size over 100 steps: this one depends on the machine
#       and its load, so report `uptime` with it.
#
# Prints one line per run; uses .build/release/charlstm (swift build -c release first).
set -euo pipefail
cd "$(dirname "$0")/.."
charlstm=$(realpath "${CHARLSTM:-.build/release/charlstm}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Benchmark figures are taken as a user would run: without the workplace's BLAS pinning.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

mode=$1 corpus=$(realpath "$2")
shift 2
case $mode in
loss)
    steps=$1 chars=$2
    shift 2
    head -c "$chars" "$corpus" > "$work/text.txt"
    for spec in "$@"; do
        size=${spec%%:*} dropout=${spec##*:}
        layers=${size%%×*} hidden=${size##*×}
        run="l$layers-h$hidden-d$dropout"
        (cd "$work" && "$charlstm" train text.txt --run "$run" --layers "$layers" --hidden "$hidden" --embedding 64 \
            --dropout "$dropout" --batch 50 --seq 50 --steps "$steps" --eval-every $((steps / 6)) --threads "${THREADS:-2}" \
            --lr-schedule constant --seed 1 --eval-chars 0 >/dev/null 2>"$work/$run.err") || { cat "$work/$run.err"; exit 1; }
        curve=$(tail -n +2 "$work/checkpoints/$run/log.csv" | cut -d, -f1,4 | tr ',\n' ': ')
        echo "loss  $chars bytes  ${layers}x$hidden dropout $dropout  step:val $curve"
    done ;;
speed)
    for size in "$@"; do
        layers=${size%%×*} hidden=${size##*×}
        run="s$layers-$hidden"
        (cd "$work" && "$charlstm" train "$corpus" --run "$run" --layers "$layers" --hidden "$hidden" \
            --embedding 64 --batch 50 --seq 50 --steps 100 --eval-every 0 --eval-chars 2 --threads "${THREADS:-2}" \
            >/dev/null 2>&1)
        seconds=$(tail -1 "$work/checkpoints/$run/log.csv" | cut -d, -f7)
        echo "speed ${layers}x$hidden  $(awk -v s="$seconds" 'BEGIN { printf "%.0f", 100 * 2500 / s }') chars/s  ($seconds s for 100 steps; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    done ;;
*) echo "usage: $0 loss CORPUS STEPS CHARS SIZE:DROPOUT... | speed CORPUS SIZE..." >&2; exit 2 ;;
esac
