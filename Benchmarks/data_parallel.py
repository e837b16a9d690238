#!/usr/bin/env python3
"""Data-parallel training speed, measured: one process against mpirun ranks, and the all-reduce
over links shaped to 1 Gb/s and 10 Gb/s, then a projection to 2-64 nodes.

    sudo python3 Benchmarks/data_parallel.py [CORPUS] [--config M] [--steps 20]

Every figure is a time per training step of the model (M: 2x512 LSTM, batch 64, seq 64, as in
Benchmarks/compare.py), taken as the difference between a run of 3 steps and one of 3+STEPS
steps, so start-up, loading and the final checkpoint cancel out. Runs:
  1. one process x 2 threads (the whole machine, the reference);
  2. mpirun -np 2 x 1 thread on this machine (shared memory between the ranks), bound to a
     core each; the ratio of 1 to 2 is the bar's "2 ranks x 1 thread >= 0.9x one process";
  3. mpirun -np 2 x 1 thread on two hosts (network namespaces, scripts/mpi_hosts.sh) joined by
     veth links shaped with tc to 1 Gb/s and to 10 Gb/s, TCP between them: the step time and
     the all-reduce time per step that charlstm reports (--json allreduce_ms_per_step; it
     includes waiting for the slower rank), and the all-reduce of the same number of floats
     on its own, after a barrier (Benchmarks/allreduce_time.c, built with mpicc);
  4. one process x 2 threads at the per-node share of the batch for 2..64 nodes (64/N streams):
     the compute a node does per step when the global batch stays 64.
Then it prints a projection for N nodes of 2 cores: the all-reduce of a ring costs
2(N-1)/N of the gradient per node, so t_comm(N) = t_comm(2) x 2(N-1)/N (the measured two-host
all-reduce on its own, per link speed: on N real nodes each runs its own share, so the waiting
for a rank slowed by a neighbour on the same 2 cores does not carry over; the per-message
latency, 2(N-1) hops, is left out); strong scaling keeps the global batch (the same loss curve as one
process): speedup = t_1 / (t_compute(64/N) + t_comm(N)); weak scaling keeps 64 streams per
node (global batch 64N): throughput speedup = N t_1 / (t_1 + t_comm(N)).

Needs root (namespaces, tc) and Open MPI with its compiler wrapper (openmpi-bin, libopenmpi-dev); OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed
from the environment of the benchmarked commands only. Prints the load average before and
after: the machine may be shared.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = {
    "S": ["--layers", "2", "--hidden", "128", "--embedding", "64", "--batch", "64", "--seq", "50"],
    "M": ["--layers", "2", "--hidden", "512", "--embedding", "64", "--batch", "64", "--seq", "64"],
}


def environment():
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


class Bench:
    def __init__(self, binary, corpus, config, steps, work):
        self.binary, self.corpus, self.config, self.steps, self.work = binary, corpus, config, steps, work
        self.runs = 0

    def timed(self, launcher, threads, batch, steps):
        """Seconds for one whole `charlstm train` of `steps` steps, and its --json summary."""
        self.runs += 1
        arguments = CONFIGS[self.config] + ["--batch", str(batch)]
        command = launcher + [self.binary, "train", self.corpus, "--run", f"bench-{self.runs}", "--steps", str(steps),
                              "--val-fraction", "0", "--eval-every", "0", "--threads", str(threads), "--json"] + arguments
        started = time.perf_counter()
        result = subprocess.run(command, cwd=self.work, env=environment(), capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
        shutil.rmtree(os.path.join(self.work, "checkpoints", f"bench-{self.runs}"), ignore_errors=True)
        return seconds, json.loads(result.stdout.strip().splitlines()[-1])

    def per_step(self, launcher=(), threads=2, batch=64):
        """Milliseconds per step (difference of 3+STEPS and 3 steps), and all-reduce ms per step."""
        short, _ = self.timed(list(launcher), threads, batch, 3)
        long, summary = self.timed(list(launcher), threads, batch, 3 + self.steps)
        return 1000 * (long - short) / self.steps, summary.get("allreduce_ms_per_step")


def vocabulary_size(corpus):
    with open(corpus, encoding="utf-8") as f:
        return len(set(f.read()))


def parameter_count(config, vocabulary):
    """An LSTM model's parameters: embedding, per layer 4H(I+H) weights and 8H biases, decoder."""
    arguments = CONFIGS[config]
    value = lambda name: int(arguments[arguments.index(name) + 1])
    layers, hidden, embedding = value("--layers"), value("--hidden"), value("--embedding")
    recurrent = sum(4 * hidden * ((embedding if l == 0 else hidden) + hidden) + 8 * hidden for l in range(layers))
    return vocabulary * embedding + recurrent + hidden * vocabulary + vocabulary


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "corpora", "shakespeare.txt"))
    parser.add_argument("--config", default="M", choices=sorted(CONFIGS))
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if not os.path.exists(args.corpus):
        subprocess.run([sys.executable, os.path.join(ROOT, "corpora", "fetch_shakespeare.py")], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "charlstm"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "charlstm")
    mpirun = shutil.which("mpirun") or sys.exit("Open MPI's mpirun is not installed (apt-get install openmpi-bin)")
    work = tempfile.mkdtemp(prefix="charlstm-data-parallel-")
    cluster = os.path.join(work, "cluster")
    hosts = os.path.join(ROOT, "scripts", "mpi_hosts.sh")
    corpus = os.path.abspath(args.corpus)
    bench = Bench(binary, corpus, args.config, args.steps, work)
    allreduce = os.path.join(work, "allreduce_time")
    subprocess.run(["mpicc", "-O2", os.path.join(ROOT, "Benchmarks", "allreduce_time.c"), "-o", allreduce], check=True)
    # What one step's all-reduce carries: the gradient and StepSums' 6 floats.
    floats = parameter_count(args.config, vocabulary_size(corpus)) + 6
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "")
    isa = "AVX-512" if "avx512f" in flags else ("AVX2" if "avx2" in flags else "SSE")
    print(f"{args.config} ({' '.join(CONFIGS[args.config])}), {args.steps} steps per figure; {cpu}, {isa}, "
          f"{os.cpu_count()} cores; load average before: {load()}")
    try:
        bench.timed([], 2, 64, 1)  # builds the token cache
        one, _ = bench.per_step()
        print(f"one process x 2 threads:                         {one:7.1f} ms/step")
        local, local_reduce = bench.per_step([mpirun, "-q", "-np", "2", "--bind-to", "core"], threads=1)
        print(f"mpirun -np 2 x 1 thread, this machine:           {local:7.1f} ms/step  (all-reduce {local_reduce:.1f} ms/step)"
              f"  speed {one / local:.2f}x one process (bar: >= 0.9x)")
        subprocess.run([hosts, "up", "2", cluster], check=True)
        host_arguments = open(os.path.join(cluster, "mpirun-args")).read().split()
        links = {}
        for rate in ["10gbit", "1gbit"]:
            subprocess.run([hosts, "shape", rate], check=True)
            step, reduce = bench.per_step([mpirun, "-q", "-np", "2", "--bind-to", "none"] + host_arguments, threads=1)
            alone = subprocess.run([mpirun, "-q", "-np", "2"] + host_arguments + [allreduce, str(floats), "20"],
                                   env=environment(), capture_output=True, text=True, check=True)
            links[rate] = json.loads(alone.stdout.strip().splitlines()[-1])["median_ms"]
            print(f"mpirun -np 2 x 1 thread, 2 hosts at {rate:>6}:     {step:7.1f} ms/step  (all-reduce {reduce:.1f} ms/step)"
                  f"  speed {one / step:.2f}x one process; the all-reduce of {floats} floats alone: {links[rate]:.1f} ms")
        subprocess.run([hosts, "down"], check=True)
        compute = {1: one}
        nodes = [2, 4, 8, 16, 32, 64]
        for n in nodes:
            compute[n], _ = bench.per_step(batch=64 // n)
        print(f"load average after: {load()}\n")
        print("Projection for N nodes of 2 cores (compute measured at each node's share; all-reduce scaled from the")
        print("measured 2-host all-reduce alone as a ring, x 2(N-1)/N):\n")
        print("| nodes | streams per node | compute ms/step | all-reduce ms, 10 Gb/s | 1 Gb/s | strong scaling (batch 64), 10 Gb/s | 1 Gb/s | weak scaling (64 per node), 10 Gb/s | 1 Gb/s |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for n in nodes:
            comm = {rate: links[rate] * 2 * (n - 1) / n for rate in links}
            strong = {rate: one / (compute[n] + comm[rate]) for rate in links}
            weak = {rate: n * one / (one + comm[rate]) for rate in links}
            print(f"| {n} | {64 // n} | {compute[n]:.0f} | {comm['10gbit']:.0f} | {comm['1gbit']:.0f} | "
                  f"{strong['10gbit']:.2f}x | {strong['1gbit']:.2f}x | {weak['10gbit']:.1f}x | {weak['1gbit']:.1f}x |")
    finally:
        subprocess.run([hosts, "down"], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
