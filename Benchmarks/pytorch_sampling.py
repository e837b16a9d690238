#!/usr/bin/env python3
"""PyTorch's batch-1 sampling loop, the yardstick for `charlstm generate`.

The same model as CharLSTM (embedding -> nn.LSTM, nn.GRU or nn.RNN -> nn.Linear) and the same loop: feed one
character, softmax(logits / T), draw the next character with torch.multinomial, repeat.
With --checkpoint it loads a CharLSTM checkpoint's weights (PyTorch's own state-dict names,
so strict loading works); otherwise the weights are random. Prints one line: chars/s.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from charlstm_torch import CELLS, CharModel, model_weights  # noqa: E402 (the path above first)


def step(model, token, state):
    """One character through the model: the next character's logits and the new state."""
    output, state = model.recurrent(model.embedding(token), state)
    return model.decoder(output[:, -1]), state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=65)
    parser.add_argument("--length", type=int, default=20000)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint", help="a CharLSTM .safetensors checkpoint to load")
    parser.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = CharModel(args.vocab, args.embedding, args.hidden, args.layers, args.cell)
    if args.checkpoint:
        model.load_state_dict(model_weights(args.checkpoint), strict=True)
    model.eval()

    with torch.inference_mode():
        token = torch.zeros((1, 1), dtype=torch.long)
        state = None
        for _ in range(200):  # warm-up
            logits, state = step(model, token, state)
            token = torch.multinomial(torch.softmax(logits / args.temperature, -1), 1)
        start = time.perf_counter()
        for _ in range(args.length):
            logits, state = step(model, token, state)
            token = torch.multinomial(torch.softmax(logits / args.temperature, -1), 1)
        elapsed = time.perf_counter() - start
    print(f"pytorch {args.cell} {args.layers}x{args.hidden} emb {args.embedding} vocab {args.vocab}: "
          f"{args.length / elapsed:.0f} chars/s ({args.length} chars in {elapsed:.2f} s, {args.threads} threads)")


if __name__ == "__main__":
    main()
