#!/usr/bin/env python3
"""PyTorch reference for Benchmarks/Throughput: the same model, data, optimizer and loop.

    pytorch_reference.py train S|M|L CORPUS [--steps N] [--warmup N]

Embedding(V, 64) -> LSTM(64, H, layers) -> Linear(H, V); Adam lr 2e-3; gradient clipping at
global norm 5; B streams of the corpus (the last 10% held out), T steps per update, the state
carried between updates and detached. Prints one JSON line, like charlstm-benchmark, with the
instruction sets ATen and oneDNN ran (ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA cap them).
"""
import argparse, json, os, resource, tempfile, time
import torch
import torch.nn as nn

CONFIGS = {"S": (2, 128, 50, 50), "M": (2, 512, 64, 64), "L": (3, 512, 64, 128)}
EMBEDDING = 64


class CharModel(nn.Module):
    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, hidden, layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        out, state = self.lstm(self.embedding(x), state)
        return self.decoder(out), state


def load(path, val_fraction):
    text = open(path, encoding="utf-8").read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = int(len(data) * val_fraction)
    return chars, data[: len(data) - n_val], data[len(data) - n_val:]


def streams(tokens, batch):
    length = len(tokens) // batch
    return tokens[: length * batch].view(batch, length).t().contiguous()  # (length, batch)


def evaluate(model, tokens, batch, seq):
    model.eval()
    columns = streams(tokens, batch)
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, columns.size(0) - 1, seq):
            x = columns[start: start + seq]
            y = columns[start + 1: start + 1 + seq]
            x = x[: y.size(0)]
            logits, state = model(x, state)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def onednn_isa():
    """The instruction set oneDNN dispatches to, read from the header of its verbose log, which it
    writes to file descriptor 1 (so it is captured there). ONEDNN_MAX_CPU_ISA caps it."""
    with tempfile.TemporaryFile(mode="w+") as log:
        saved = os.dup(1)
        os.dup2(log.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                nn.LSTM(4, 4)(torch.zeros(1, 1, 4))
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        for line in log:
            if ",isa:" in line:
                return line.split(",isa:", 1)[1].strip()
    return "unknown"


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(config, path, steps, warmup):
    layers, hidden, batch, seq = CONFIGS[config]
    chars, train_tokens, val_tokens = load(path, 0.1)
    torch.manual_seed(1)
    model = CharModel(len(chars), hidden, layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    columns = streams(train_tokens, batch)
    windows = (columns.size(0) - 1) // seq
    state, position = None, 0

    def step():
        nonlocal state, position
        if position == windows:
            position, state = 0, None
        x = columns[position * seq: position * seq + seq]
        y = columns[position * seq + 1: position * seq + seq + 1]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        position += 1

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    chars_done = steps * batch * seq
    parameters = sum(p.numel() for p in model.parameters())
    print(json.dumps({"what": "train", "config": config, "steps": steps, "chars_per_sec": chars_done / seconds,
                      "ms_per_step": seconds / steps * 1000, "gflops": 6 * parameters * chars_done / seconds / 1e9,
                      "parameters": parameters, "val_loss": evaluate(model, val_tokens, batch, seq),
                      "trained_steps": warmup + steps, "peak_rss_mib": peak_rss_mib(),
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "cpu_capability": torch.backends.cpu.get_cpu_capability(), "onednn_isa": onednn_isa()},
                     sort_keys=True))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["train"])
    parser.add_argument("config", choices=list(CONFIGS))
    parser.add_argument("corpus")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    default_steps = {"S": 200, "M": 30, "L": 12}[args.config]
    train(args.config, args.corpus, args.steps or default_steps, args.warmup)
