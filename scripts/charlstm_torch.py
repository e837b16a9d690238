"""CharLSTM's model in PyTorch, for the scripts that check or time us against it.

A checkpoint's tensors carry PyTorch's own state-dict names: `embedding.weight`, then the
recurrent module's (`lstm.*`, `gru.*` or `rnn.*`, as nn.LSTM, nn.GRU and nn.RNN name them),
then `decoder.weight` and `decoder.bias`, so `CharModel` loads them with strict=True once the
optimizer's `optimizer.*` tensors are dropped.
"""
import json
import os
import sys

import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}  # nn.RNN's default nonlinearity is tanh


class CharModel(nn.Module):
    """Embedding -> stacked recurrent cell -> linear decoder. The recurrent module is an
    attribute named after the cell (`lstm`, `gru`, `rnn`), as in the checkpoints."""

    def __init__(self, vocabulary_size, embedding_size, hidden_size, layers, cell="lstm", batch_first=True):
        super().__init__()
        self.batch_first = batch_first
        self.cell = cell
        self.embedding = nn.Embedding(vocabulary_size, embedding_size)
        setattr(self, cell, CELLS[cell](embedding_size, hidden_size, layers, batch_first=batch_first))
        self.decoder = nn.Linear(hidden_size, vocabulary_size)

    @property
    def recurrent(self):
        return getattr(self, self.cell)

    def forward(self, tokens):
        """tokens: streams x time; returns logits, streams x time x vocabulary, from a zero state."""
        x = self.embedding(tokens if self.batch_first else tokens.t())
        y, _ = self.recurrent(x)
        logits = self.decoder(y)
        return logits if self.batch_first else logits.transpose(0, 1)


def read_metadata(path):
    """The checkpoint's metadata (strings), its model configuration and its vocabulary (code points)."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
    return metadata, json.loads(metadata["model"]), json.loads(metadata["vocabulary"])


def model_weights(path):
    """The checkpoint's model tensors, without the optimizer's."""
    return {k: v for k, v in load_file(path).items() if not k.startswith("optimizer.")}


def load_model(path, batch_first=True):
    """The checkpoint as a CharModel in eval mode (strict load), with its vocabulary and configuration."""
    _, config, vocabulary = read_metadata(path)
    cell = config.get("cell", "lstm")
    if cell not in CELLS:
        raise SystemExit(f"{path}: cell {cell!r} is not one of {sorted(CELLS)}")
    model = CharModel(len(vocabulary), config["embeddingSize"], config["hiddenSize"], config["layers"], cell, batch_first)
    model.load_state_dict(model_weights(path), strict=True)
    model.eval()
    return model, vocabulary, config


def charlstm_binary(argument, script):
    """The charlstm binary to check: `argument` (--charlstm), else the debug build; exits with
    a line naming `script` when there is none."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.abspath(argument or os.path.join(root, ".build", "debug", "charlstm"))
    if not os.access(binary, os.X_OK):
        sys.exit(f"{script}: no charlstm binary at {binary}; run swift build first or pass --charlstm")
    return binary
