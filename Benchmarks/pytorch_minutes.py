#!/usr/bin/env python3
"""The PyTorch reference for "models per minute": a hand-picked recipe trained for a wall-clock
budget, its best checkpoint written in CharLSTM's format so `charlstm eval` scores it exactly
as it scores ours.

    pytorch_minutes.py CORPUS [--minutes 10] [--out FOLDER] [--threads 2]

The recipe (issue 16): embedding 64 -> 2-layer LSTM of 256 -> linear decoder; dropout 0.25 on
the embeddings, between the layers and on the top layer's output (PyTorch's
word_language_model); Adam lr 2e-3 at a constant rate; gradient clipping at norm 5; batch 50
streams x seq 50, state carried between windows and detached, reset each epoch. The last 10% of
the corpus is held out, as `charlstm train` does (--val-fraction 0.1). Every 500 steps and at
the end the held-out loss is measured (50 streams, as charlstm's evaluation of a batch-50 run)
and the best weights are kept. The evaluations count in the budget, as they do in ours.

Writes FOLDER/best.safetensors (tensors under nn.Embedding / nn.LSTM / nn.Linear's names,
CharLSTM's metadata: vocabulary and model), FOLDER/log.csv (charlstm's columns) and
FOLDER/loss.svg, and prints one JSON line. Then, for the figure the issue compares:

    charlstm eval FOLDER/best.safetensors heldout.txt --streams 1
"""
import argparse, json, math, os, time
import torch
import torch.nn as nn
from safetensors.torch import save_file

from pytorch_reference import evaluate, streams  # the throughput reference's stream cut and held-out loss

LAYERS, HIDDEN, EMBEDDING, DROPOUT, LR, CLIP, BATCH, SEQ, EVAL_EVERY = 2, 256, 64, 0.25, 2e-3, 5.0, 50, 50, 500


class Model(nn.Module):
    def __init__(self, vocabulary):
        super().__init__()
        self.drop = nn.Dropout(DROPOUT)
        self.embedding = nn.Embedding(vocabulary, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, LAYERS, dropout=DROPOUT)
        self.decoder = nn.Linear(HIDDEN, vocabulary)

    def forward(self, x, state):
        y, state = self.lstm(self.drop(self.embedding(x)), state)
        return self.decoder(self.drop(y)), state


def loss_svg(rows, title):
    """Train and validation loss against step, as charlstm's loss.svg draws them."""
    width, height, left, right, top, bottom = 640, 360, 60, 20, 30, 40
    steps = [r[0] for r in rows]
    losses = [v for r in rows for v in (r[1], r[2])]
    x_min, x_max = min(steps), max(max(steps), min(steps) + 1)
    y_min, y_max = min(losses), max(losses)
    if y_max - y_min < 1e-6:
        y_min, y_max = y_min - 0.5, y_max + 0.5
    x = lambda s: left + (s - x_min) / (x_max - x_min) * (width - left - right)
    y = lambda l: top + (y_max - l) / (y_max - y_min) * (height - top - bottom)
    line = lambda values, colour: (f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                                   + " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in zip(steps, values)) + '"/>')
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>', f'<text x="{left}" y="18" font-size="14">{title}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>']
    for k in range(5):
        value, step = y_min + (y_max - y_min) * k / 4, x_min + (x_max - x_min) * k / 4
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.0f}" text-anchor="end">{value:.2f}</text>')
        parts.append(f'<text x="{x(step):.0f}" y="{height - bottom + 16}" text-anchor="middle">{step:.0f}</text>')
    parts += [line([r[1] for r in rows], "#1f77b4"), line([r[2] for r in rows], "#d62728"),
              f'<text x="{width - 150}" y="{top + 10}" fill="#1f77b4">— train</text>',
              f'<text x="{width - 150}" y="{top + 26}" fill="#d62728">— validation</text>', "</svg>"]
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--out", default="pytorch-minutes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    text = open(args.corpus, encoding="utf-8").read()
    codepoints = sorted({ord(c) for c in text})
    index = {c: i for i, c in enumerate(codepoints)}
    data = torch.tensor([index[ord(c)] for c in text], dtype=torch.long)
    held_out = int(len(data) * 0.1)
    train_columns, val_tokens = streams(data[: len(data) - held_out], BATCH), data[len(data) - held_out:]
    windows = (train_columns.size(0) - 1) // SEQ

    model = Model(len(codepoints))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    rows, best, best_state, smoothed = [], math.inf, None, None
    state, position, step = None, 0, 0
    start = time.perf_counter()
    log = open(os.path.join(args.out, "log.csv"), "w")
    log.write("step,epoch,train_loss,val_loss,lr,chars_per_sec,seconds\n")

    def evaluation():
        nonlocal best, best_state
        val = evaluate(model, val_tokens, BATCH, SEQ)
        seconds = time.perf_counter() - start
        rows.append((step, smoothed, val))
        log.write(f"{step},{step // windows + 1},{smoothed:.5f},{val:.5f},{LR:g},{step * BATCH * SEQ / seconds:.0f},{seconds:.1f}\n")
        log.flush()
        if val < best:
            best, best_state = val, {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}

    while time.perf_counter() - start < args.minutes * 60:
        if position == windows:
            position, state = 0, None
        x = train_columns[position * SEQ: position * SEQ + SEQ]
        y = train_columns[position * SEQ + 1: position * SEQ + SEQ + 1]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        position += 1
        step += 1
        smoothed = loss.item() if smoothed is None else 0.98 * smoothed + 0.02 * loss.item()
        if step % EVAL_EVERY == 0:
            evaluation()
    seconds = time.perf_counter() - start
    if not rows or rows[-1][0] != step:
        evaluation()
    metadata = {"format": "charlstm", "format_version": "1", "vocabulary": json.dumps(codepoints),
                "model": json.dumps({"cell": "lstm", "vocabularySize": len(codepoints), "embeddingSize": EMBEDDING,
                                     "hiddenSize": HIDDEN, "layers": LAYERS, "dropout": DROPOUT})}
    save_file(best_state, os.path.join(args.out, "best.safetensors"), metadata)
    with open(os.path.join(args.out, "loss.svg"), "w") as f:
        f.write(loss_svg(rows, f"PyTorch {LAYERS}x{HIDDEN}, dropout {DROPOUT}, {args.minutes:g} min"))
    print(json.dumps({"steps": step, "seconds": round(seconds, 1), "chars_per_sec": round(step * BATCH * SEQ / seconds),
                      "best_val_loss": best, "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "checkpoint": os.path.join(args.out, "best.safetensors")}, sort_keys=True))


if __name__ == "__main__":
    main()
