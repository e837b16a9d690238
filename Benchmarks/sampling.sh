#!/usr/bin/env bash
# Batch-1 sampling speed: `charlstm generate` against PyTorch's Python loop over the same
# weights, in the same session, for the S (2×128) and M (2×512) models (embedding 64,
# vocabulary 65 as in tiny Shakespeare). Prints chars/s for each and the ratio. A suffix
# picks the cell (default LSTM): S-gru, M-rnn.
#
#   Benchmarks/sampling.sh [S|M|S-gru|S-rnn|M-gru|M-rnn ...]        (default: S M)
#
# Both sides time only their sampling loop (loading excluded) at temperature 1. PyTorch runs
# on 2 threads and on 1; charlstm picks its own (1 for S; for M, one per idle core).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for these commands so the libraries choose
# their own kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product charlstm >&2
binary=.build/release/charlstm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clean_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

# Text with exactly 65 distinct characters, so the checkpoints have tiny Shakespeare's vocabulary.
python3 - "$work/text.txt" <<'PY'
import random, string, sys
alphabet = (string.ascii_letters + " \n!&',-.:;?$3")[:65]
random.seed(1)
text = alphabet + "".join(random.choice(alphabet) for _ in range(40000))
open(sys.argv[1], "w").write(text)
PY

echo "BLAS kernel (OpenBLAS's own detection): $("${clean_env[@]}" python3 -c '
import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())')"

configurations=("$@")
[ ${#configurations[@]} -gt 0 ] || configurations=(S M)
for name in "${configurations[@]}"; do
  cell=lstm
  case "$name" in *-*) cell=${name#*-} ;; esac
  case "${name%%-*}" in
    S) hidden=128; ours_length=1000000; torch_length=3000 ;;
    M) hidden=512; ours_length=30000; torch_length=500 ;;
    *) echo "unknown configuration $name (S or M, optionally -gru or -rnn)" >&2; exit 2 ;;
  esac
  (cd "$work" && "$OLDPWD/$binary" train text.txt --run "$name" --cell "$cell" --layers 2 --hidden "$hidden" --embedding 64 \
    --batch 4 --seq 16 --steps 1 --eval-every 1 >/dev/null 2>&1)
  checkpoint="$work/checkpoints/$name/best.safetensors"
  # One run gives both figures: the rate charlstm reports and the peak memory of the process.
  read -r ours peak < <(python3 - "${clean_env[@]}" "$binary" generate --checkpoint "$checkpoint" \
    --length "$ours_length" --temperature 1 --seed 1 --output "$work/out.txt" <<'PY'
import re, resource, subprocess, sys
note = subprocess.run(sys.argv[1:], check=True, stderr=subprocess.PIPE, text=True).stderr
rate = re.search(r"\((\d+) chars/s\)", note).group(1)
print(rate, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
)
  # PyTorch on 2 threads (the reference setting) and on 1: on a busy machine its 2-thread loop
  # collapses, so the ratio is taken against whichever of the two is faster.
  torch2=$("${clean_env[@]}" python3 Benchmarks/pytorch_sampling.py --checkpoint "$checkpoint" --cell "$cell" --hidden "$hidden" \
    --length "$torch_length" --threads 2 | sed -n 's/.*: \([0-9]*\) chars\/s.*/\1/p')
  torch1=$("${clean_env[@]}" python3 Benchmarks/pytorch_sampling.py --checkpoint "$checkpoint" --cell "$cell" --hidden "$hidden" \
    --length "$torch_length" --threads 1 | sed -n 's/.*: \([0-9]*\) chars\/s.*/\1/p')
  printf '%s 2x%-4s charlstm %6s chars/s (%s chars, peak %s MiB)   pytorch %5s chars/s on 2 threads, %5s on 1   ratio %.1fx\n' \
    "$name" "$hidden" "$ours" "$ours_length" "$peak" "$torch2" "$torch1" "$(python3 -c "print($ours / max($torch2, $torch1))")"
done
