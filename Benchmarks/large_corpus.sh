#!/usr/bin/env bash
# Training on a corpus larger than memory should be, in a release build:
#   - SOURCE repeated to SIZE_MB (default 1024) under /tmp (never in the repository);
#   - `charlstm train` run twice on it (2×128 model, --steps STEPS, default 20), with a fresh
#     token cache: the first run encodes the corpus, the second reuses the cache.
# Prints the encoding speed, the time from start to the first training step of each run (when
# the "training …" line appears, and when step 1 is reported done), each run's peak RSS, the
# token cache file's size, and the machine's load average (the machine may be shared).
#
#   Benchmarks/large_corpus.sh [SIZE_MB] [STEPS] [SOURCE]
#
# SOURCE defaults to the project's corpus, corpora/shakespeare.txt (fetched when missing, as
# `make demo` does). Peak RSS comes from GNU time (/usr/bin/time -f %M). Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
steps=${2:-20}
source=$(realpath "${3:-corpora/shakespeare.txt}")
[ -f "$source" ] || [ -n "${3:-}" ] || python3 corpora/fetch_shakespeare.py >&2
swift build -c release --product charlstm >&2
binary=$PWD/.build/release/charlstm
work=$(mktemp -d /tmp/charlstm-large-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - "$source" corpus.txt "$size_mb" <<'PY'
import sys
source, target, size = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3]) << 20
with open(target, "wb") as f:
    written = 0
    while written < size:
        f.write(source)
        written += len(source)
PY

python3 - "$binary" "$steps" "$(basename "$source")" <<'PY'
import os, re, subprocess, sys, time
binary, steps, source = sys.argv[1], sys.argv[2], sys.argv[3]
print(f"corpus      {os.path.getsize('corpus.txt') / 1e6:.1f} MB ({source} repeated), load average before: "
      + " ".join(open("/proc/loadavg").read().split()[:3]))
for run in (1, 2):
    start = time.time()
    process = subprocess.Popen(["/usr/bin/time", "-f", "PEAK_RSS_KIB %M", binary, "train", "corpus.txt", "--run", f"r{run}",
                                "--layers", "2", "--hidden", "128", "--steps", steps, "--eval-every", "0",
                                "--cache-dir", "cache"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first_line = first_step = None
    encoded = peak = None
    for line in process.stderr:
        now = time.time() - start
        if line.startswith("token cache: encoded"):
            encoded = line.strip()
        if line.startswith("training ") and first_line is None:
            first_line = now
        if re.search(r"\bstep 1\b", line) and first_step is None:
            first_step = now
        if line.startswith("PEAK_RSS_KIB"):
            peak = int(line.split()[1])
    process.wait()
    if process.returncode != 0:
        sys.exit(f"run {run} failed with status {process.returncode}")
    if encoded:
        speed = re.search(r"([0-9.]+) MB/s", encoded).group(1)
        seconds = re.search(r"in ([0-9.]+) s", encoded).group(1)
        print(f"run {run}       encoding {speed} MB/s ({seconds} s)")
    print(f"run {run}       first step starts {first_line:.2f} s after launch, step 1 done at "
          + (f"{first_step:.2f} s" if first_step is not None else "? s")
          + f"; total {time.time() - start:.1f} s for {steps} steps; peak RSS {peak / 1024:.0f} MiB")
files = [os.path.join("cache", f) for f in os.listdir("cache") if f.endswith(".tokens")]
print(f"cache file  {os.path.getsize(files[0]) / 1e6:.1f} MB ({files[0]})")
print("load average after: " + " ".join(open("/proc/loadavg").read().split()[:3]) + f" on {os.cpu_count()} cores")
PY
