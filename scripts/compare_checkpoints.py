#!/usr/bin/env python3
"""Compares the tensors of two CharLSTM checkpoints (safetensors), standard library only.

For every tensor both files hold (weights, optimizer moments, carried state), prints the
relative difference ||a - b|| / ||a|| and fails (exit 1) when any exceeds --tolerance, or when
the files hold different tensors or shapes. Used to show that a data-parallel run under
mpirun and a single-process run end with the same parameters.

    scripts/compare_checkpoints.py checkpoints/one/step-00000005.safetensors \\
        checkpoints/two/step-00000005.safetensors --tolerance 1e-5
"""
import argparse
import array
import json
import math
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[8 + length + start:8 + length + end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (info["shape"], values)
    return tensors


def relative_difference(a, b):
    difference = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
    norm = math.sqrt(sum(x * x for x in a))
    return difference / norm if norm > 0 else difference


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference")
    parser.add_argument("other")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    a, b = read(args.reference), read(args.other)
    if sorted(a) != sorted(b):
        print(f"different tensors: {sorted(set(a) ^ set(b))}")
        return 1
    worst_name, worst = None, 0.0
    for name in sorted(a):
        if a[name][0] != b[name][0]:
            print(f"{name}: shape {a[name][0]} vs {b[name][0]}")
            return 1
        d = relative_difference(a[name][1], b[name][1])
        if d >= worst:
            worst_name, worst = name, d
    verdict = "ok" if worst <= args.tolerance else "DIFFERENT"
    print(f"{len(a)} tensors; largest relative difference {worst:.2e} ({worst_name}); tolerance {args.tolerance:g}: {verdict}")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
