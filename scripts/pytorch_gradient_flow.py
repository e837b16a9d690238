#!/usr/bin/env python3
"""Gradient flow of `charlstm inspect --gradients` against PyTorch autograd.

`charlstm inspect CHECKPOINT --text FILE --gradients OUT.svg --json` reports, per layer l and
distance k, the mean over positions of ||dL_t/dh^l_(t-k)||: each position's stream reads
`warmup` characters from a zero state without gradient, then k_max + 1 more; L_t is the
cross-entropy of the next character at the last step. This script loads the same checkpoint
into nn.Embedding / nn.LSTMCell, nn.GRUCell or nn.RNNCell (one per layer, with nn.LSTM's, nn.GRU's
or nn.RNN's weights) / nn.Linear, runs the same positions (the JSON's `starts`) step by step in double precision, keeps every h^l_t in
the autograd graph, backpropagates L_t, and compares the norms at k = 1, 10 and 50 (those up to
k_max): each must agree within 1e-3 relative.

Without --checkpoint it first trains a small two-layer model of each cell (--cell lstm, gru,
rnn) with the binary on generated text in a temporary folder, and checks each. Prints the figures; exits 1 on any mismatch.
Usage: scripts/pytorch_gradient_flow.py [--charlstm PATH] [--checkpoint FILE --text FILE]
       [--max-distance K] [--positions B] [--warmup W]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open

TOLERANCE = 1e-3  # relative
DISTANCES = (1, 10, 50)


def generated_text(seed, words):
    """Deterministic word salad with quotes, brackets and line breaks."""
    rng = random.Random(seed)
    vocabulary = ["the", "king", "rode", "to", "a", "castle", "and", "sang", "of", "war", "(quietly)", "\"no,\"",
                  "wind", "over", "hills", "night"]
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(vocabulary))
        if rng.random() < 0.12:
            lines.append(" ".join(line) + rng.choice([".", ",", "!", "?"]))
            line = []
    lines.append(" ".join(line) + ".")
    return "\n".join(lines) + "\n"


CELLS = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}


def load(checkpoint):
    """The checkpoint's vocabulary (code point -> index), cell kind and modules, in double precision."""
    with safe_open(checkpoint, framework="pt") as f:
        metadata = f.metadata()
        tensors = {name: f.get_tensor(name).double() for name in f.keys() if not name.startswith("optimizer.")}
    vocabulary = {code: index for index, code in enumerate(json.loads(metadata["vocabulary"]))}
    kind = json.loads(metadata["model"]).get("cell", "lstm")
    layers = sum(1 for name in tensors if name.startswith(f"{kind}.weight_ih_l"))
    hidden = tensors[f"{kind}.weight_hh_l0"].shape[1]
    embedding = nn.Embedding.from_pretrained(tensors["embedding.weight"], freeze=False)
    cells = []
    for l in range(layers):
        weight_ih = tensors[f"{kind}.weight_ih_l{l}"]
        cell = CELLS[kind](weight_ih.shape[1], hidden).double()
        cell.load_state_dict({"weight_ih": weight_ih, "weight_hh": tensors[f"{kind}.weight_hh_l{l}"],
                              "bias_ih": tensors[f"{kind}.bias_ih_l{l}"], "bias_hh": tensors[f"{kind}.bias_hh_l{l}"]})
        cells.append(cell)
    decoder = nn.Linear(hidden, len(vocabulary)).double()
    decoder.load_state_dict({"weight": tensors["decoder.weight"], "bias": tensors["decoder.bias"]})
    return vocabulary, kind, embedding, cells, decoder, hidden


def step(kind, cell, x, state):
    """One step of one layer: state is (h, c) for the LSTM, h otherwise; returns (h, state)."""
    if kind == "lstm":
        h, c = cell(x, state)
        return h, (h, c)
    h = cell(x, state)
    return h, h


def gradient_flow(checkpoint, text, starts, warmup, k_max):
    """Per layer, entry k-1: mean over the streams of ||dL/dh^l_(t-k)||, by autograd."""
    vocabulary, kind, embedding, cells, decoder, hidden = load(checkpoint)
    tokens = [vocabulary[ord(ch)] for ch in text if ord(ch) in vocabulary]
    window = torch.tensor([tokens[s: s + warmup + k_max + 2] for s in starts], dtype=torch.long)
    zero = torch.zeros(len(starts), hidden, dtype=torch.float64)
    states = [(zero, zero) if kind == "lstm" else zero for _ in cells]
    with torch.no_grad():
        for t in range(warmup):
            x = embedding(window[:, t])
            for l, cell in enumerate(cells):
                x, states[l] = step(kind, cell, x, states[l])
    kept = [[] for _ in cells]
    for t in range(k_max + 1):
        x = embedding(window[:, warmup + t])
        for l, cell in enumerate(cells):
            x, states[l] = step(kind, cell, x, states[l])
            x.retain_grad()
            kept[l].append(x)
    loss = F.cross_entropy(decoder(x), window[:, warmup + k_max + 1], reduction="sum")
    loss.backward()
    return [[kept[l][k_max - k].grad.norm(dim=1).mean().item() for k in range(1, k_max + 1)] for l in range(len(cells))]


def compare(binary, folder, checkpoint, text_path, arguments):
    """Runs inspect --gradients --json on the checkpoint and compares; returns the mismatches."""
    result = subprocess.run([binary, "inspect", checkpoint, "--text", text_path, "--gradients",
                             os.path.join(folder, "flow.svg"), "--json", "--max-distance", str(arguments.max_distance),
                             "--positions", str(arguments.positions), "--warmup", str(arguments.warmup)],
                            cwd=folder, check=True, capture_output=True, text=True)
    flow = json.loads(result.stdout)["gradient_flow"]
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    failures = 0
    for series in flow["series"]:
        reference = gradient_flow(checkpoint, text, series["starts"], flow["warmup"], flow["k_max"])[series["layer"]]
        for k in (k for k in DISTANCES if k <= flow["k_max"]):
            ours, theirs = series["norms"][k - 1], reference[k - 1]
            relative = abs(ours - theirs) / max(abs(theirs), 1e-300)
            ok = relative <= TOLERANCE
            failures += not ok
            print(f"{series['cell']} layer {series['layer']} k={k:3d}: charlstm {ours:.6e}  pytorch {theirs:.6e}  "
                  f"relative difference {relative:.2e}  {'ok' if ok else 'MISMATCH'}")
    print(f"{series['cell']}: {len(flow['series'])} layers, {len(flow['series'][0]['starts'])} positions, "
          f"warm-up {flow['warmup']}, k_max {flow['k_max']}: "
          f"{'all within' if failures == 0 else f'{failures} beyond'} {TOLERANCE:g} relative")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charlstm", default=".build/debug/charlstm")
    parser.add_argument("--checkpoint")
    parser.add_argument("--text")
    parser.add_argument("--max-distance", type=int, default=60)
    parser.add_argument("--positions", type=int, default=24)
    parser.add_argument("--warmup", type=int, default=40)
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.charlstm)
    folder = tempfile.mkdtemp(prefix="charlstm-gradient-flow-")
    try:
        if arguments.checkpoint:
            return 1 if compare(binary, folder, os.path.abspath(arguments.checkpoint), os.path.abspath(arguments.text),
                                arguments) else 0
        text_path = os.path.join(folder, "words.txt")
        with open(text_path, "w", encoding="utf-8") as f:
            f.write(generated_text(3, 2500))
        failures = 0
        for cell in CELLS:
            subprocess.run([binary, "train", text_path, "--run", cell, "--cell", cell, "--layers", "2", "--hidden", "24",
                            "--embedding", "8", "--batch", "8", "--seq", "32", "--steps", "200", "--eval-every", "200",
                            "--seed", "4"], cwd=folder, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            failures += compare(binary, folder, os.path.join(folder, "checkpoints", cell, "best.safetensors"), text_path,
                                arguments)
        return 1 if failures else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
