#!/usr/bin/env bash
# Memory over long runs, in a release build:
#   1. peak RSS of `charlstm generate` at 10,000 and at 10,000,000 characters (S model, 2×128):
#      streaming means the two are the same;
#   2. resident memory of a training run of many thousands of steps, sampled every half second
#      from /proc: it must stay flat after start-up.
#
#   Benchmarks/memory.sh [TRAIN_STEPS]        (default 100000)
#
# Peak RSS comes from /usr/bin/time -f %M (GNU time). Linux only (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100000}
swift build -c release --product charlstm >&2
binary=$PWD/.build/release/charlstm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - text.txt <<'PY'
import random, string, sys
alphabet = (string.ascii_letters + " \n!&',-.:;?$3")[:65]
random.seed(1)
open(sys.argv[1], "w").write(alphabet + "".join(random.choice(alphabet) for _ in range(200000)))
PY
"$binary" train text.txt --run S --layers 2 --hidden 128 --embedding 64 --batch 4 --seq 16 --steps 1 --eval-every 1 >/dev/null 2>&1

for length in 10000 10000000; do
  read -r peak seconds < <(/usr/bin/time -f '%M %e' "$binary" generate --checkpoint checkpoints/S --length "$length" \
    --seed 1 2>&1 >/dev/null | tail -1)
  printf 'generate --length %-9s peak RSS %6d KiB  (%s s)\n' "$length" "$peak" "$seconds"
done

# Many thousands of steps of a small model, with a checkpoint every 5,000: RSS every 0.5 s.
python3 - "$binary" "$steps" <<'PY'
import subprocess, sys, time
binary, steps = sys.argv[1], sys.argv[2]
process = subprocess.Popen([binary, "train", "text.txt", "--run", "long", "--layers", "1", "--hidden", "32",
                            "--embedding", "16", "--batch", "8", "--seq", "32", "--steps", steps,
                            "--eval-every", "5000", "--keep", "2", "--threads", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
samples, start = [], time.time()
while process.poll() is None:
    try:
        status = open(f"/proc/{process.pid}/status").read()
        rss = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
        samples.append((time.time() - start, rss))
    except (OSError, StopIteration):
        pass
    time.sleep(0.5)
assert process.returncode == 0, process.returncode
n = len(samples)
tenth = max(n // 10, 1)
early, late = max(r for _, r in samples[tenth:3 * tenth + 1]), max(r for _, r in samples[-3 * tenth:])
print(f"train {steps} steps in {samples[-1][0]:.0f} s, {n} RSS samples: "
      f"after start-up {samples[tenth][1]} KiB, max early {early} KiB, max late {late} KiB, growth {late - early} KiB")
PY
