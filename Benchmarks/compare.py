#!/usr/bin/env python3
"""Runs CharLSTM's training benchmark and the PyTorch reference side by side and prints ratios,
then the batch-1 sampling comparison (Benchmarks/sampling.sh).

    python3 Benchmarks/compare.py CORPUS [--runs 3] [--configs S,M,L] [--sample S,M] [--isa native|avx2]

Builds charlstm-benchmark in release mode, then for each configuration alternates the two
programs run by run (so both see the same machine conditions) and reports the medians.
Our benchmark runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment,
as on a user's machine; it prints the BLAS kernel it ended up with.

--isa avx2 measures both sides on AVX2 + FMA on any newer x86-64 host (an AVX-512 one, say):
our C kernels are built for x86-64-v3 (CHARLSTM_MARCH, in .build-avx2), OpenBLAS runs its
Haswell kernels (OPENBLAS_CORETYPE), and PyTorch is capped with ATEN_CPU_CAPABILITY=avx2 and
ONEDNN_MAX_CPU_ISA=AVX2. The instruction set each side actually ran is printed. Sampling is
measured at the native instruction set only.
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
    parser.add_argument("--isa", choices=["native", "avx2"], default="native")
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    build_env, build_folder = dict(clean_env), ".build"
    ours_env, theirs_env = dict(clean_env), dict(os.environ)
    if args.isa == "avx2":
        build_env["CHARLSTM_MARCH"], build_folder = "x86-64-v3", ".build-avx2"
        ours_env["OPENBLAS_CORETYPE"] = "Haswell"
        theirs_env.update(ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
        args.sample = ""
    subprocess.run(["swift", "build", "-c", "release", "--product", "charlstm-benchmark", "--scratch-path",
                    os.path.join(ROOT, build_folder)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=build_env)
    ours_bin = os.path.join(ROOT, build_folder, "release", "charlstm-benchmark")
    reference = [sys.executable, os.path.join(ROOT, "Benchmarks", "pytorch_reference.py")]

    peak = run([ours_bin, "sgemm"], env=ours_env)
    print(f"BLAS kernel: {peak['blas_kernel']}; sgemm peak on {peak['threads']} threads: {peak['gflops']:.0f} GFLOP/s")
    isa_printed = False
    print()
    rows = []
    jobs = [("train", c) for c in args.configs.split(",") if c]
    for what, config in jobs:
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run([ours_bin, what, config, corpus], env=ours_env))
            theirs.append(run(reference + [what, config, corpus], env=theirs_env))
        if not isa_printed:
            print(f"CharLSTM ran: C kernels {ours[0]['kernel_isa']}, OpenBLAS {ours[0]['blas_kernel']}; PyTorch ran: "
                  f"ATen {theirs[0]['cpu_capability']}, oneDNN {theirs[0]['onednn_isa']}", flush=True)
            isa_printed = True
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
