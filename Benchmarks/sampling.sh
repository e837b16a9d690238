#!/usr/bin/env bash
# Batch-1 sampling speed at each weight precision: `charlstm generate` against PyTorch's Python
# loop over the same weights, in the same session, for S (2×128), M (2×512) and XL (3×1024;
# 50 MB of fp32 weights), all with embedding 64 and 65 characters as in tiny Shakespeare.
# Benchmarks/sampling.py does the measuring and prints the tables; this builds charlstm first.
#
#   Benchmarks/sampling.sh [--isa native|avx2] [--corpus FILE [--minutes N]] [--rounds R] [S|M|XL|S-gru|M-rnn ...]
#
# --isa avx2 builds the C kernels for x86-64-v3 (AVX2 + FMA) in .build-avx2 and runs OpenBLAS's
# Haswell kernels and PyTorch's AVX2 ones, to measure an AVX2 machine on an AVX-512 host.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are otherwise unset for these commands, so the
# libraries choose their own kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
isa=native
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --isa ]; then j=$((i + 1)); isa=${!j}; fi
done
case "$isa" in
  native) build=.build; march_env=() ;;
  avx2) build=.build-avx2; march_env=(CHARLSTM_MARCH=x86-64-v3) ;;
  *) echo "--isa must be native or avx2, got $isa" >&2; exit 2 ;;
esac
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${march_env[@]}" \
  swift build -c release --product charlstm --scratch-path "$build" >&2
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/sampling.py --binary "$build/release/charlstm" "$@"
