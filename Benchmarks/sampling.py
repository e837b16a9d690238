#!/usr/bin/env python3
"""Sampling speed, loss and text agreement at each weight precision (run by Benchmarks/sampling.sh).

For each model (S 2x128, M 2x512, XL 3x1024; embedding 64, 65 characters; a suffix -gru or
-rnn picks the cell) it prints, from one session:
- chars/s of `charlstm generate` at fp32, bf16 and int8 (runs interleaved round by round, so
  load on the machine hits all alike; the median over rounds, and the median of the per-round
  ratios to fp32), and PyTorch's batch-1 loop (Benchmarks/pytorch_sampling.py) on the same
  weights, on 2 threads and 1, the ratio taken against the faster;
- for M and XL, `generate --count K` against `--count 1` (total characters per second);
- with --corpus: the models trained on its first 90% for --minutes each, the held-out loss
  (`eval --streams 1 --precision P` on the next 10,000 held-out characters) and its change
  against fp32, and how many characters of the same seed's text agree with fp32's text (the
  share of equal positions, and where the first difference falls); the bundled model too.
Without --corpus the models are trained for one step on random text (speed only).
"""
import argparse
import json
import os
import random
import re
import statistics
import string
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"S": (2, 128, 300000, 3000), "M": (2, 512, 20000, 500), "XL": (3, 1024, 6000, 150)}
PRECISIONS = ["fp32", "bf16", "int8"]


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--isa", choices=["native", "avx2"], default="native")
    parser.add_argument("--corpus")
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("configs", nargs="*", default=["S", "M", "XL"])
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    ours_env, torch_env = dict(os.environ), dict(os.environ)
    if args.isa == "avx2":
        ours_env["OPENBLAS_CORETYPE"] = "Haswell"
        torch_env.update(ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    work = tempfile.mkdtemp(prefix="charlstm-sampling-")

    isa = run(["python3", "-c", "import ctypes, ctypes.util\n"
               "lib = ctypes.CDLL(ctypes.util.find_library('openblas') or 'libopenblas.so.0')\n"
               "lib.openblas_get_corename.restype = ctypes.c_char_p\nprint(lib.openblas_get_corename().decode())"],
              env=ours_env).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; OpenBLAS kernel {isa}; "
          f"charlstm built for --isa {args.isa}", flush=True)

    if args.corpus:
        text = open(args.corpus, encoding="utf-8").read()
        cut = len(text) * 9 // 10
        train_text, held_out = text[:cut], text[cut:cut + 10000]
    else:
        alphabet = (string.ascii_letters + " \n!&',-.:;?$3")[:65]
        random.seed(1)
        train_text, held_out = alphabet + "".join(random.choice(alphabet) for _ in range(40000)), None
    with open(os.path.join(work, "train.txt"), "w", encoding="utf-8") as f:
        f.write(train_text)
    if held_out:
        with open(os.path.join(work, "held-out.txt"), "w", encoding="utf-8") as f:
            f.write(held_out)

    models = {}
    for name in args.configs:
        size, _, cell = name.partition("-")
        if size not in SIZES:
            sys.exit(f"unknown configuration {name} (S, M or XL, optionally -gru or -rnn)")
        layers, hidden, _, _ = SIZES[size]
        budget = ["--minutes", str(args.minutes)] if args.corpus else ["--steps", "1", "--eval-every", "1"]
        run([binary, "train", "train.txt", "--run", name, "--cell", cell or "lstm", "--layers", str(layers), "--hidden", str(hidden),
             "--embedding", "64", "--batch", "16", "--seq", "64", "--seed", "1"] + budget, cwd=work, env=ours_env)
        models[name] = os.path.join(work, "checkpoints", name, "best.safetensors")

    def generate(checkpoint, precision, length, count=1, output="out.txt", temperature=1):
        done = run([binary, "generate", "--checkpoint", checkpoint, "--length", str(length), "--count", str(count),
                    "--temperature", str(temperature), "--seed", "1", "--precision", precision, "--output", output],
                   cwd=work, env=ours_env)
        return float(re.search(r"\((\d+) chars/s\)", done.stderr).group(1))

    def torch(name, checkpoint, threads):
        size, _, cell = name.partition("-")
        layers, hidden, _, length = SIZES[size]
        out = run([sys.executable, os.path.join(ROOT, "Benchmarks", "pytorch_sampling.py"), "--checkpoint", checkpoint,
                   "--cell", cell or "lstm", "--layers", str(layers), "--hidden", str(hidden), "--length", str(length),
                   "--threads", str(threads)], env=torch_env).stdout
        return float(re.search(r": (\d+) chars/s", out).group(1))

    print(f"\n## Speed: chars/s, median of {args.rounds} interleaved rounds (x: median per-round ratio to fp32)\n")
    print("| model | fp32 | bf16 | int8 | PyTorch (2 threads / 1) | fp32 / bf16 / int8 vs PyTorch |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, checkpoint in models.items():
        length = SIZES[name.partition("-")[0]][2]
        rates = {p: [] for p in PRECISIONS}
        torch2, torch1 = [], []
        for _ in range(args.rounds):
            for p in PRECISIONS:
                rates[p].append(generate(checkpoint, p, length))
            torch2.append(torch(name, checkpoint, 2))
            torch1.append(torch(name, checkpoint, 1))
        reference = max(statistics.median(torch2), statistics.median(torch1))
        cells = [f"{statistics.median(rates['fp32']):.0f}"]
        for p in PRECISIONS[1:]:
            ratio = statistics.median(a / b for a, b in zip(rates[p], rates["fp32"]))
            cells.append(f"{statistics.median(rates[p]):.0f} ({ratio:.2f}x)")
        versus = " / ".join(f"{statistics.median(rates[p]) / reference:.1f}x" for p in PRECISIONS)
        print(f"| {name} | {' | '.join(cells)} | {statistics.median(torch2):.0f} / {statistics.median(torch1):.0f} | {versus} |",
              flush=True)

    print(f"\n## Several samples per pass: total chars/s of --count {args.count} against --count 1 (median of {args.rounds})\n")
    print(f"| model | precision | --count 1 | --count {args.count} | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, checkpoint in models.items():
        if name.startswith("S"):
            continue
        length = SIZES[name.partition("-")[0]][2]
        for p in ["fp32", "int8"]:
            one, many = [], []
            for _ in range(args.rounds):
                one.append(generate(checkpoint, p, length))
                many.append(generate(checkpoint, p, max(length // args.count, 1) * 2, count=args.count))
            ratio = statistics.median(b / a for a, b in zip(one, many))
            print(f"| {name} | {p} | {statistics.median(one):.0f} | {statistics.median(many):.0f} | {ratio:.2f}x |", flush=True)

    if not held_out:
        return
    bundled = os.path.join(ROOT, "checkpoints", "bundled", "best.safetensors")
    scored = dict(models, bundled=bundled)
    print("\n## Held-out loss (nats/char, eval --streams 1 on 10,000 held-out characters) and agreement of seed 1's text with fp32's\n")
    print("| model | fp32 | bf16 (change) | int8 (change) | bf16 text: same chars, first difference | int8 text: same chars, first difference |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name, checkpoint in scored.items():
        losses = {}
        try:
            for p in PRECISIONS:
                out = run([binary, "eval", checkpoint, "held-out.txt", "--streams", "1", "--precision", p, "--json"],
                          cwd=work, env=ours_env).stdout
                losses[p] = json.loads(out)["nats_per_char"]
        except subprocess.CalledProcessError as error:
            print(f"| {name} | (not scored: {error.stderr.strip()}) | | | | |")
            continue
        texts = {}
        for p in PRECISIONS:
            generate(checkpoint, p, 5000, output=f"text-{p}.txt", temperature=0.8)
            texts[p] = open(os.path.join(work, f"text-{p}.txt"), encoding="utf-8").read()
        agreement = []
        for p in PRECISIONS[1:]:
            a, b = texts["fp32"], texts[p]
            same = sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
            agreement.append(f"{same:.1%}, {'none' if first is None else f'at {first}'}")
        changes = [f"{losses[p]:.4f} ({(losses[p] - losses['fp32']) / losses['fp32']:+.3%})" for p in PRECISIONS[1:]]
        print(f"| {name} | {losses['fp32']:.4f} | {' | '.join(changes)} | {' | '.join(agreement)} |", flush=True)


if __name__ == "__main__":
    main()
