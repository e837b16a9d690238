#!/usr/bin/env python3
"""Checks the log-probabilities `charlstm generate --json` reports, independently, in PyTorch.

For each way of generating (sampling, sampling with top-k/top-p, greedy, beam search, with and
without stop strings, with and without a prompt) it runs the real binary with --json and
--no-prompt, loads the same checkpoint into nn.Embedding / nn.<cell> / nn.Linear with
load_state_dict(strict=True), runs prompt + produced text through it from a zero state, and sums
log-softmax of the raw logits over the produced characters. Both must agree within 1e-3 nats per
character. The cell type (lstm, gru, rnn) comes from the checkpoint's metadata.

By default the checkpoints are small 2-layer models, one per cell (--cells, default
lstm,gru,rnn), that `charlstm train` makes on generated text; --checkpoint checks an existing
one instead (say checkpoints/bundled/best.safetensors).
Prints the figures; exits 1 on any mismatch.
Usage: scripts/pytorch_logprob.py [--charlstm PATH] [--checkpoint FILE | --cells lstm,gru,rnn]
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

from charlstm_torch import charlstm_binary, load_model

TOLERANCE = 1e-3  # nats per generated character


def log_probability(model, vocabulary, prompt, produced):
    """Sum over the produced characters of log softmax(raw logits), given the prompt and what
    was produced before them. With no prompt, charlstm starts as if after a line break when the
    vocabulary has one (else from a flat distribution): the same here."""
    index = {c: i for i, c in enumerate(vocabulary)}
    context = [index[ord(c)] for c in prompt]
    total = 0.0
    if not context and produced:
        if ord("\n") in index:
            context = [index[ord("\n")]]
        else:  # the first character came from a flat distribution
            total = -math.log(len(vocabulary))
            context, produced = [index[ord(produced[0])]], produced[1:]
    tokens = context + [index[ord(c)] for c in produced]
    if not produced:
        return total
    with torch.no_grad():
        logits = model(torch.tensor([tokens[:-1]], dtype=torch.long))[0]
        logp = F.log_softmax(logits.double(), dim=-1)
    first = len(context) - 1
    targets = torch.tensor(tokens[len(context):], dtype=torch.long)
    return total + logp[first:].gather(1, targets.view(-1, 1)).sum().item()


def generated_text(seed, words):
    rng = random.Random(seed)
    lexicon = ["the", "king", "queen", "rode", "to", "a", "castle", "and", "sang", "of", "war", "wind",
               "over", "hills", "in", "night", "said", "no", "more", "ORACLE:"]
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(lexicon))
        if rng.random() < 0.12:
            lines.append(" ".join(line) + rng.choice([".", ",", "!", "?"]))
            line = []
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charlstm", default=None, help="the binary (default: .build/debug/charlstm)")
    parser.add_argument("--checkpoint", default=None, help="check this checkpoint file instead of training small ones")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="the cells to train small models of (default lstm,gru,rnn)")
    args = parser.parse_args()
    binary = charlstm_binary(args.charlstm, "pytorch_logprob")
    torch.set_num_threads(1)
    folder = tempfile.mkdtemp(prefix="charlstm-logprob-")

    def run(*arguments):
        result = subprocess.run([binary, *arguments], cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"pytorch_logprob: charlstm {' '.join(arguments)} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    print(f"PyTorch {torch.__version__}, charlstm {binary}")
    failures, worst = [], 0.0
    try:
        if args.checkpoint:
            checks = [(os.path.abspath(args.checkpoint), ["ROMEO:", "KING HENRY:\n", ""])]
        else:
            with open(os.path.join(folder, "train.txt"), "w", encoding="utf-8") as f:
                f.write(generated_text(seed=1, words=8000))
            checks = []
            for cell in args.cells.split(","):
                run("train", "train.txt", "--run", cell, "--cell", cell, "--layers", "2", "--hidden", "32",
                    "--embedding", "12", "--batch", "8", "--seq", "32", "--steps", "150", "--eval-every", "150",
                    "--lr", "0.01", "--seed", "4")
                checks.append((os.path.join(folder, "checkpoints", cell, "best.safetensors"), ["the king", "ORACLE:\n", ""]))
        for checkpoint, prompts in checks:
            worst = max(worst, check(run, checkpoint, prompts, failures))
    finally:
        shutil.rmtree(folder)
    if failures:
        print(f"pytorch_logprob: {len(failures)} mismatch(es): {'; '.join(failures)}")
        return 1
    print(f"pytorch_logprob: every reported log-probability agrees within {TOLERANCE} nats/char (worst {worst:.1e})")
    return 0


MODES = [
    ("sampling T=0.8", ["--seed", "7", "--count", "2"]),
    ("sampling T=1.3 top-k 5 top-p 0.9", ["--seed", "8", "--temperature", "1.3", "--top-k", "5", "--top-p", "0.9"]),
    ("greedy (--temperature 0)", ["--temperature", "0"]),
    ("beam 4", ["--beam", "4"]),
    ("beam 8", ["--beam", "8"]),
    ("sampling, --stop ' a'", ["--seed", "9", "--stop", " a", "--count", "2"]),
    ("beam 8, --stop '\\n'", ["--beam", "8", "--stop", "\\n"]),
]


def check(run, checkpoint, prompts, failures):
    """Every mode from every prompt on one checkpoint; returns the worst difference per character."""
    model, vocabulary, config = load_model(checkpoint)
    cell = config.get("cell", "lstm")
    print(f"checkpoint {checkpoint}: {config['layers']}x{config['hiddenSize']} {cell.upper()}, {len(vocabulary)} characters")
    worst = 0.0
    for prompt in prompts:
        for label, options in MODES:
            out = json.loads(run("generate", "--checkpoint", checkpoint, "--prompt", prompt, "--length", "200",
                                 "--no-prompt", "--json", *options))
            for sample, ours in zip(out["samples"], out["log_probabilities"]):
                theirs = log_probability(model, vocabulary, prompt, sample)
                per_char = abs(ours - theirs) / max(len(sample), 1)
                worst = max(worst, per_char)
                ok = per_char <= TOLERANCE
                print(f"  prompt {prompt!r:14} {label:34} {len(sample):4} chars  charlstm {ours:12.6f}  "
                      f"pytorch {theirs:12.6f}  |diff|/char {per_char:.1e}  {'ok' if ok else 'FAIL'}")
                if not ok:
                    failures.append(f"{cell} {label} from {prompt!r}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
