#!/usr/bin/env python3
"""Runs CharLSTM's training benchmark and the PyTorch reference side by side and prints ratios,
then the batch-1 sampling comparison (Benchmarks/sampling.sh).

    python3 Benchmarks/compare.py CORPUS [--runs 3] [--configs S,M,L] [--sample S,M]

Builds charlstm-benchmark in release mode, then for each configuration alternates the two
programs run by run (so both see the same machine conditions) and reports the medians.
Our benchmark runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment,
as on a user's machine; it prints the BLAS kernel it ended up with.
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, env=None):
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--configs", default="S,M,L")
    parser.add_argument("--sample", default="S,M")
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)
    subprocess.run(["swift", "build", "-c", "release", "--product", "charlstm-benchmark"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    ours_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    ours_bin = os.path.join(ROOT, ".build", "release", "charlstm-benchmark")
    reference = [sys.executable, os.path.join(ROOT, "Benchmarks", "pytorch_reference.py")]

    peak = run([ours_bin, "sgemm"], env=ours_env)
    print(f"BLAS kernel: {peak['blas_kernel']}; sgemm peak on {peak['threads']} threads: {peak['gflops']:.0f} GFLOP/s")
    print()
    rows = []
    jobs = [("train", c) for c in args.configs.split(",") if c]
    for what, config in jobs:
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run([ours_bin, what, config, corpus], env=ours_env))
            theirs.append(run(reference + [what, config, corpus]))
        def median(results, key):
            return statistics.median(r[key] for r in results)
        o, t = median(ours, "chars_per_sec"), median(theirs, "chars_per_sec")
        row = {"what": what, "config": config, "ours": o, "pytorch": t, "ratio": o / t,
               "ours_rss": median(ours, "peak_rss_mib"), "pytorch_rss": median(theirs, "peak_rss_mib")}
        row.update(ours_ms=median(ours, "ms_per_step"), pytorch_ms=median(theirs, "ms_per_step"),
                   ours_gflops=median(ours, "gflops"), pytorch_gflops=median(theirs, "gflops"),
                   ours_val=median(ours, "val_loss"), pytorch_val=median(theirs, "val_loss"),
                   steps=ours[0]["trained_steps"])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| run | config | CharLSTM chars/s | PyTorch chars/s | ratio | CharLSTM ms/step | PyTorch ms/step | "
          "CharLSTM GFLOP/s (% of sgemm peak) | val loss after N steps (ours / PyTorch) | peak RSS MiB (ours / PyTorch) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| train | {r['config']} | {r['ours']:,.0f} | {r['pytorch']:,.0f} | **{r['ratio']:.2f}×** | "
              f"{r['ours_ms']:.1f} | {r['pytorch_ms']:.1f} | {r['ours_gflops']:.0f} ({100 * r['ours_gflops'] / peak['gflops']:.0f}%) | "
              f"{r['ours_val']:.3f} / {r['pytorch_val']:.3f} (N={r['steps']}) | {r['ours_rss']:.0f} / {r['pytorch_rss']:.0f} |")
    if args.sample:
        print()
        subprocess.run(["bash", os.path.join(ROOT, "Benchmarks", "sampling.sh")] + args.sample.split(","), cwd=ROOT,
                       check=True, env=ours_env)


if __name__ == "__main__":
    main()
