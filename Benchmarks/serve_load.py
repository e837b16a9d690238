#!/usr/bin/env python3
"""Load on `charlstm serve`: streaming clients at once against one, on the M model (2x512 LSTM,
embedding 64, vocabulary 65, as the other benchmarks' M).

Builds the release binary, makes an M checkpoint (one training step on generated text: speed
does not depend on what the weights learned), starts the server on a free loopback port and
runs, in one session:
  1. one streaming client, then 32 at once, each asking for texts of --length characters one
     after another for --seconds: aggregate characters per second of each, and the ratio;
     time to first character (request sent -> first text chunk), p50 and p99, over all requests;
  2. with --soak S: 64 clients for S seconds, counting failed requests (anything but a 200
     stream ending in [DONE]) and sampling the server's RSS every second (first, last, max).
The clients are Python threads reading the event stream line by line; they share the machine's
cores with the server, so on a 2-core host the figures are a floor. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are unset for the server alone.
Usage: python3 Benchmarks/serve_load.py [--seconds 10] [--length 400] [--soak 60] [--checkpoint FILE] [--charlstm RELEASE_BINARY]
"""

import argparse
import http.client
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


def stream_once(port, length, seed):
    """One streamed completion: (characters, seconds to the first, ok)."""
    body = json.dumps({"prompt": "The ", "max_tokens": length, "temperature": 0.8, "seed": seed, "stream": True})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    sent = time.perf_counter()
    connection.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        response.read()
        connection.close()
        return 0, None, False
    characters, first, done = 0, None, False
    for line in response:
        if not line.startswith(b"data: "):
            continue
        if line.startswith(b"data: [DONE]"):
            done = True
            break
        text = json.loads(line[6:])["choices"][0]["text"]
        if text:
            if first is None:
                first = time.perf_counter() - sent
            characters += len(text)
    connection.close()
    return characters, first, done


def run_clients(port, clients, seconds, length):
    """`clients` threads streaming texts back to back for `seconds`: (chars/s, first-char times, failures)."""
    results, lock = [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index):
        seed = index * 100000
        while time.perf_counter() < deadline:
            seed += 1
            try:
                outcome = stream_once(port, length, seed)
            except OSError:
                outcome = (0, None, False)
            with lock:
                results.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    characters = sum(r[0] for r in results)
    firsts = sorted(r[1] for r in results if r[1] is not None)
    failures = sum(1 for r in results if not r[2])
    return characters / elapsed, firsts, failures, len(results)


def percentile(values, p):
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
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
            print(f"server: {checkpoint}, {os.cpu_count()} cores; clients are threads on the same host")
            figures = {}
            for clients in (1, 32):
                rate, firsts, failures, requests = run_clients(port, clients, args.seconds, args.length)
                figures[clients] = rate
                print(f"{clients:3d} streaming client(s): {rate:9.0f} chars/s aggregate over {requests} requests "
                      f"({failures} failed); first character p50 {percentile(firsts, 50) * 1000:.1f} ms, "
                      f"p99 {percentile(firsts, 99) * 1000:.1f} ms")
            print(f"32 clients / 1 client: {figures[32] / figures[1]:.2f}x aggregate characters per second")
            if args.soak:
                samples, stop = [], threading.Event()

                def sample():
                    while not stop.wait(1):
                        samples.append(rss_kib(server.pid))

                sampler = threading.Thread(target=sample)
                sampler.start()
                rate, firsts, failures, requests = run_clients(port, 64, args.soak, args.length)
                stop.set()
                sampler.join()
                print(f"soak: 64 clients for {args.soak:.0f} s: {requests} requests, {failures} failed, {rate:.0f} chars/s; "
                      f"server RSS first {samples[0] / 1024:.1f} MiB, last {samples[-1] / 1024:.1f} MiB, "
                      f"max {max(samples) / 1024:.1f} MiB; first character p50 {percentile(firsts, 50) * 1000:.1f} ms, "
                      f"p99 {percentile(firsts, 99) * 1000:.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
