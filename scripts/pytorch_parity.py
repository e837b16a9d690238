#!/usr/bin/env python3
"""PyTorch parity of CharLSTM checkpoints, in both directions, through the real binary, for
every recurrent cell (`--cell lstm|gru|rnn` as nn.LSTM, nn.GRU, nn.RNN with tanh).

1. charlstm -> PyTorch: `charlstm train` a small model on generated text (once plainly, once with
   every training-time regulariser and the cosine schedule); load its checkpoint
   into nn.Embedding / nn.LSTM (nn.GRU, nn.RNN) / nn.Linear with load_state_dict(strict=True)
   after dropping `optimizer.*`; compute the held-out loss the way `charlstm eval` defines it;
   compare with `charlstm eval --json`.
2. PyTorch -> charlstm: build and briefly train a model of the same architecture in PyTorch,
   write it with the `safetensors` package plus CharLSTM's metadata, and have `charlstm info`
   and `charlstm eval` (and `charlstm generate`, when the build has it) load it; the losses
   must agree.

Every comparison must be within 1e-4 nats/char. Prints the figures; exits 1 on any mismatch.
Usage: scripts/pytorch_parity.py [--charlstm PATH] [--keep-folder] [--cells lstm,gru,rnn]
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
from safetensors.torch import load_file, save_file

from charlstm_torch import CELLS, CharModel, charlstm_binary, read_metadata

TOLERANCE = 1e-4  # nats/char
FORMAT_VERSION = "1"
def generated_text(seed, words):
    """Deterministic word salad with punctuation, line breaks and a few non-ASCII letters."""
    rng = random.Random(seed)
    vocabulary = ["the", "king", "queen", "rode", "to", "a", "castle", "and", "sang", "of", "war",
                  "café", "naïve", "über", "Ἀθῆναι", "—", "wind", "over", "hills", "night", "ORACLE:"]
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(vocabulary))
        if rng.random() < 0.12:
            lines.append(" ".join(line) + rng.choice([".", ",", "!", "?", ";"]))
            line = []
    lines.append(" ".join(line) + ".")
    return "\n".join(lines) + "\n"


def evaluation_loss(model, tokens, streams, window):
    """`charlstm eval`'s loss: the text is cut into S equal streams (S = --streams, fewer when
    the text is short so each stream has at least --window predictions), each read from a zero
    state to its end; the characters past S·L are left out; the mean is over every prediction."""
    n = len(tokens)
    s = max(1, min(streams, (n - 1) // max(window, 1)))
    length = n // s
    batch = torch.tensor(tokens[: s * length], dtype=torch.long).view(s, length)
    with torch.no_grad():
        logits = model(batch[:, :-1])
        # Summed in double, as charlstm sums its per-character losses.
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), batch[:, 1:].reshape(-1),
                               reduction="sum")
    return loss.item() / (s * (length - 1)), s * (length - 1)


class Parity:
    def __init__(self, binary, folder):
        self.binary = binary
        self.folder = folder
        self.failures = []

    def run(self, *arguments):
        result = subprocess.run([self.binary, *arguments], cwd=self.folder, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"pytorch_parity: charlstm {' '.join(arguments)} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def compare(self, what, ours, theirs):
        diff = abs(ours - theirs)
        ok = diff <= TOLERANCE
        print(f"  {what:<58} charlstm {ours:.6f}  pytorch {theirs:.6f}  |diff| {diff:.2e}  {'ok' if ok else 'FAIL'}")
        if not ok:
            self.failures.append(what)

    def eval_loss(self, checkpoint, text_file, streams, window):
        out = json.loads(self.run("eval", checkpoint, text_file, "--streams", str(streams),
                                  "--window", str(window), "--json"))
        return out["nats_per_char"], out["characters"]

    def check_eval(self, label, checkpoint, model, tokens, text_file):
        for streams, window in [(1, 256), (7, 64), (50, 256)]:
            theirs, count = evaluation_loss(model, tokens, streams, window)
            ours, our_count = self.eval_loss(checkpoint, text_file, streams, window)
            if count != our_count:
                self.failures.append(f"{label}: prediction count {our_count} vs {count}")
            self.compare(f"{label}, --streams {streams} --window {window} ({count} chars)", ours, theirs)


# Every training-time option: none of them may change what the checkpoint holds or means.
REGULARISED = ["--dropout-mask", "sequence", "--embedding-dropout", "0.1", "--weight-drop", "0.2",
               "--weight-decay", "0.05", "--lr-schedule", "cosine"]


def charlstm_to_pytorch(p, eval_tokens_of, cell, extra=(), label=""):
    print(f"direction 1 ({cell}{label}): charlstm train --cell {cell} {' '.join(extra)} -> PyTorch load_state_dict(strict=True)")
    run = f"parity-{cell}{'-regularised' if extra else ''}"
    p.run("train", "train.txt", "--run", run, "--cell", cell, "--layers", "2", "--hidden", "24", "--embedding", "12",
          "--batch", "8", "--seq", "24", "--steps", "120", "--eval-every", "60", "--lr", "0.01", "--threads", "1",
          "--dropout", "0.1", "--seed", "5", *extra)
    checkpoint = os.path.join("checkpoints", run, "best.safetensors")
    path = os.path.join(p.folder, checkpoint)
    metadata, stored, vocabulary = read_metadata(path)
    if stored.get("cell", "lstm") != cell:
        p.failures.append(f"{checkpoint} records cell {stored.get('cell')}, expected {cell}")
    tensors = load_file(path)
    weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    print(f"  checkpoint {checkpoint}: {len(tensors)} tensors, {len(weights)} after dropping optimizer.*; "
          f"format {metadata['format']} v{metadata['format_version']}, model {metadata['model']}")
    tokens = eval_tokens_of(vocabulary)
    for batch_first in (True, False):
        model = CharModel(len(vocabulary), stored["embeddingSize"], stored["hiddenSize"], stored["layers"], cell,
                          batch_first)
        model.load_state_dict(weights, strict=True)
        model.eval()
        p.check_eval(f"{cell}{label}, batch_first={batch_first}", checkpoint, model, tokens, "eval.txt")


def pytorch_to_charlstm(p, train_text, eval_tokens_of, cell):
    print(f"direction 2 ({cell}): PyTorch model + safetensors.save_file -> charlstm info / eval")
    codepoints = sorted({ord(c) for c in train_text})
    index = {c: i for i, c in enumerate(codepoints)}
    torch.manual_seed(11)
    embedding, hidden, layers = 10, 20, 2
    model = CharModel(len(codepoints), embedding, hidden, layers, cell, batch_first=False)
    # A few hundred Adam steps, so the weights are a real model rather than the initialisation.
    data = torch.tensor([index[ord(c)] for c in train_text], dtype=torch.long)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(150):
        starts = torch.randint(0, len(data) - 33, (16,))
        batch = torch.stack([data[s:s + 33] for s in starts.tolist()])
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, len(codepoints)), batch[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    metadata = {
        "format": "charlstm",
        "format_version": FORMAT_VERSION,
        "vocabulary": json.dumps(codepoints),
        "model": json.dumps({"cell": cell, "vocabularySize": len(codepoints), "embeddingSize": embedding,
                             "hiddenSize": hidden, "layers": layers, "dropout": 0.0}),
    }
    file = f"from_pytorch_{cell}.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(p.folder, file), metadata)
    info = json.loads(p.run("info", file, "--json"))
    parameters = sum(v.numel() for v in model.state_dict().values())
    shown = (info["cell"], info["layers"], info["hidden"], info["embedding"], info["vocabulary_size"], info["parameters"])
    wanted = (cell, layers, hidden, embedding, len(codepoints), parameters)
    print(f"  charlstm info: {info['layers']}x{info['hidden']} {info['cell']}, embedding {info['embedding']}, "
          f"{info['vocabulary_size']} characters, {info['parameters']} parameters (PyTorch: {parameters})")
    if shown != wanted:
        p.failures.append(f"info shows {shown}, expected {wanted}")
    tokens = eval_tokens_of(codepoints)
    p.check_eval(f"{cell} from PyTorch", file, model, tokens, "eval.txt")
    usage = subprocess.run([p.binary, "help", "generate"], capture_output=True, text=True).stdout
    if "USAGE: charlstm generate" in usage:
        prompt = "the king "
        ours = json.loads(p.run("generate", "--checkpoint", file, "--prompt", prompt, "--length", "150",
                                "--temperature", "0", "--no-prompt", "--json"))
        text = ours["samples"][0]
        theirs = greedy_continuation(model, codepoints, prompt, 150)
        agree = next((k for k, (a, b) in enumerate(zip(text, theirs)) if a != b), min(len(text), len(theirs)))
        print(f"  greedy generate (--temperature 0) from {prompt!r}: charlstm and PyTorch agree on "
              f"{agree} of {len(theirs)} characters: {text[:60]!r}…")
        if text != theirs:
            p.failures.append(f"greedy generation differs from PyTorch after {agree} characters")
        sample = p.run("generate", "--checkpoint", file, "--prompt", prompt, "--length", "100", "--seed", "3")
        print(f"  sampled at the default temperature: {sample[:80]!r}…")
    else:
        print("  (this build has no generate command: sampling not checked)")


def greedy_continuation(model, codepoints, prompt, length):
    """What greedy decoding gives in PyTorch: read the prompt, then take the argmax character
    and feed it back, `length` times (batch of one, state carried)."""
    index = {c: i for i, c in enumerate(codepoints)}
    tokens = torch.tensor([[index[ord(c)]] for c in prompt], dtype=torch.long)  # time x batch 1
    out = []
    with torch.no_grad():
        y, state = model.recurrent(model.embedding(tokens))
        for _ in range(length):
            t = int(torch.argmax(model.decoder(y[-1, 0])))
            out.append(chr(codepoints[t]))
            y, state = model.recurrent(model.embedding(torch.tensor([[t]])), state)
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charlstm", default=None, help="the binary (default: .build/debug/charlstm)")
    parser.add_argument("--keep-folder", action="store_true", help="leave the work folder for inspection")
    parser.add_argument("--cells", default=",".join(CELLS), help="the cells to check, comma-separated (default: all)")
    args = parser.parse_args()
    binary = charlstm_binary(args.charlstm, "pytorch_parity")
    torch.set_num_threads(1)
    folder = tempfile.mkdtemp(prefix="charlstm-parity-")
    train_text = generated_text(seed=1, words=9000)
    eval_text = generated_text(seed=2, words=1500)
    for name, text in (("train.txt", train_text), ("eval.txt", eval_text)):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)

    def eval_tokens_of(codepoints):
        index = {c: i for i, c in enumerate(codepoints)}
        return [index[ord(c)] for c in eval_text]

    p = Parity(binary, folder)
    print(f"PyTorch {torch.__version__}, charlstm {binary}, work folder {folder}")
    for cell in args.cells.split(","):
        if cell not in CELLS:
            sys.exit(f"pytorch_parity: unknown cell {cell!r} (one of {', '.join(CELLS)})")
        charlstm_to_pytorch(p, eval_tokens_of, cell)
        charlstm_to_pytorch(p, eval_tokens_of, cell, REGULARISED, " regularised")
        pytorch_to_charlstm(p, train_text, eval_tokens_of, cell)
    if args.keep_folder:
        print(f"work folder kept: {folder}")
    else:
        shutil.rmtree(folder)
    if p.failures:
        print(f"pytorch_parity: {len(p.failures)} mismatch(es): {'; '.join(p.failures)}")
        return 1
    print(f"pytorch_parity: both directions agree within {TOLERANCE} nats/char for {args.cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
