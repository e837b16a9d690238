#!/usr/bin/env python3
"""Load on `charlstm serve`: streaming clients at once against one, on the M model (2x512 LSTM,
embedding 64, vocabulary 65, as the other benchmarks' M).

Builds the release binary, makes an M checkpoint (one training step on generated text: speed
does not depend on what the weights learned), starts one server on a free loopback port and
runs, in that one session:
  1. --rounds rounds of: one streaming client for --seconds, then 32 at once for --seconds,
     each client asking for texts of --length characters one after another. The phases
     alternate so that a change in the machine's load falls on both alike. Printed: aggregate
     characters per second of each (over all its rounds), the ratio, the time to first
     character (request sent -> first text chunk) at p50 and p99, the characters per event
     (above 1 when the server coalesced characters for a client that fell behind), and the CPU
     the server and the clients used, in cores (and the server's per character written: on a
     machine shared with other work, the wall-clock ratio moves with how much of the cores the
     server gets, the CPU per character much less);
  2. with --soak S: 64 clients for S seconds, counting failed requests (anything but a 200
     stream ending in [DONE]) and sampling the server's RSS every second (first, last, max).
The clients are one Python process: asyncio tasks on raw sockets (HTTP/1.1, chunked transfer
decoded by hand, each event's JSON parsed to count its characters), so they cost one event
loop's time rather than a thread per client; they share the machine's cores with the server,
and the CPU line says how much they took. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset
for the server alone.
Usage: python3 Benchmarks/serve_load.py [--seconds 10] [--rounds 2] [--length 400] [--soak 60]
       [--checkpoint FILE] [--charlstm RELEASE_BINARY]
"""

import argparse
import asyncio
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from charlstm_server import start_server  # noqa: E402


def make_checkpoint(binary, work):
    alphabet = (string.ascii_letters + " \n!&',-.:;?$3")[:65]
    random.seed(1)
    with open(os.path.join(work, "text.txt"), "w") as f:
        f.write(alphabet + "".join(random.choice(alphabet) for _ in range(40000)))
    subprocess.run([binary, "train", "text.txt", "--run", "M", "--layers", "2", "--hidden", "512", "--embedding", "64",
                    "--batch", "8", "--seq", "32", "--steps", "1", "--eval-every", "1", "--seed", "1"],
                   cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(work, "checkpoints", "M")


class Outcome:
    """One streamed completion: characters, events that carried text, seconds to the first, whether it ended in [DONE]."""

    def __init__(self):
        self.characters, self.events, self.first, self.done = 0, 0, None, False


async def stream_once(port, length, seed):
    body = json.dumps({"prompt": "The ", "max_tokens": length, "temperature": 0.8, "seed": seed, "stream": True}).encode()
    outcome = Outcome()
    sent = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        status = int((await reader.readline()).split()[1])
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            chunked |= line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        if status != 200 or not chunked:
            return outcome
        pending = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            pending += (await reader.readexactly(size + 2))[:-2]
            *events, pending = pending.split(b"\n\n")
            for event in events:
                if event == b"data: [DONE]":
                    outcome.done = True
                elif event.startswith(b"data: "):
                    text = json.loads(event[6:])["choices"][0]["text"]
                    if text:
                        if outcome.first is None:
                            outcome.first = time.perf_counter() - sent
                        outcome.characters += len(text)
                        outcome.events += 1
        return outcome
    finally:
        writer.close()


async def run_clients(port, clients, seconds, length):
    """`clients` tasks streaming texts back to back for `seconds`: (elapsed seconds, outcomes)."""
    outcomes = []
    deadline = time.perf_counter() + seconds

    async def client(index):
        seed = index * 100000
        while time.perf_counter() < deadline:
            seed += 1
            try:
                outcomes.append(await asyncio.wait_for(stream_once(port, length, seed), 120))
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                outcomes.append(Outcome())

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return time.perf_counter() - started, outcomes


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Phase:
    """Sums over the runs of one client count: time, outcomes, CPU of the server and of the clients."""

    def __init__(self):
        self.seconds, self.outcomes, self.server_cpu, self.client_cpu = 0.0, [], 0.0, 0.0

    def run(self, port, server_pid, clients, seconds, length):
        server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
        elapsed, outcomes = asyncio.run(run_clients(port, clients, seconds, length))
        self.server_cpu += cpu_seconds(server_pid) - server_cpu
        self.client_cpu += time.process_time() - client_cpu
        self.seconds += elapsed
        self.outcomes += outcomes

    @property
    def rate(self):
        return sum(o.characters for o in self.outcomes) / self.seconds

    def summary(self):
        firsts = sorted(o.first for o in self.outcomes if o.first is not None)
        failed = sum(1 for o in self.outcomes if not o.done)
        characters, events = sum(o.characters for o in self.outcomes), sum(o.events for o in self.outcomes)
        return (f"{self.rate:8.0f} chars/s aggregate over {len(self.outcomes)} requests ({failed} failed); "
                f"first character p50 {percentile(firsts, 50) * 1000:.1f} ms, p99 {percentile(firsts, 99) * 1000:.1f} ms; "
                f"{characters / max(events, 1):.2f} chars/event; CPU: server {self.server_cpu / self.seconds:.2f} cores "
                f"({self.server_cpu_per_character * 1e6:.0f} us per character), clients {self.client_cpu / self.seconds:.2f}")

    @property
    def server_cpu_per_character(self):
        return self.server_cpu / max(sum(o.characters for o in self.outcomes), 1)


def percentile(values, p):
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--length", type=int, default=400)
    parser.add_argument("--soak", type=float, default=0)
    parser.add_argument("--checkpoint")
    parser.add_argument("--charlstm", help="a release build to use instead of building one")
    args = parser.parse_args()
    binary = args.charlstm and os.path.abspath(args.charlstm)
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "charlstm"], cwd=ROOT, check=True, stdout=sys.stderr)
        binary = os.path.join(ROOT, ".build", "release", "charlstm")
    with tempfile.TemporaryDirectory() as work:
        checkpoint = args.checkpoint or make_checkpoint(binary, work)
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        server, base = start_server(binary, checkpoint, "--max-streams", "64", env=env)
        port = int(base.rsplit(":", 1)[1].strip("/"))
        try:
            print(f"server: {checkpoint}, {os.cpu_count()} cores; clients: one asyncio process on the same host; "
                  f"{args.rounds} round(s) of {args.seconds:.0f} s per client count, interleaved")
            phases = {1: Phase(), 32: Phase()}
            for _ in range(args.rounds):
                for clients, phase in phases.items():
                    phase.run(port, server.pid, clients, args.seconds, args.length)
            for clients, phase in phases.items():
                print(f"{clients:3d} streaming client(s): {phase.summary()}")
            print(f"32 clients / 1 client: {phases[32].rate / phases[1].rate:.2f}x aggregate characters per second; "
                  f"{phases[1].server_cpu_per_character / phases[32].server_cpu_per_character:.2f}x fewer server CPU "
                  f"seconds per character")
            if args.soak:
                samples, stop = [], threading.Event()

                def sample():
                    while not stop.wait(1):
                        samples.append(rss_kib(server.pid))

                sampler = threading.Thread(target=sample)
                sampler.start()
                soak = Phase()
                soak.run(port, server.pid, 64, args.soak, args.length)
                stop.set()
                sampler.join()
                print(f"soak, 64 clients for {args.soak:.0f} s: {soak.summary()}")
                print(f"soak: server RSS first {samples[0] / 1024:.1f} MiB, last {samples[-1] / 1024:.1f} MiB, "
                      f"max {max(samples) / 1024:.1f} MiB")
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
