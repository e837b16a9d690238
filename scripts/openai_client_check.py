#!/usr/bin/env python3
"""Points the official `openai` Python package at `charlstm serve` and checks what it gets.

Starts the real binary on a free loopback port over the bundled model (or --checkpoint), then,
through `openai.OpenAI(base_url=...)`: completions.create returns text, without and with
stream=True (the streamed pieces joined are the same text); the same seed gives the same text
twice and another seed another; a bad value is the client's BadRequestError with the server's
message; without the API key, AuthenticationError. Prints what it saw; exits 1 on a mismatch.
Usage: scripts/openai_client_check.py [--charlstm PATH] [--checkpoint FILE]
"""

import argparse
import sys

import openai

from charlstm_server import start_server
from charlstm_torch import charlstm_binary

KEY = "ci-key"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charlstm", default=None)
    parser.add_argument("--checkpoint", default="checkpoints/bundled/best.safetensors")
    args = parser.parse_args()
    server, base = start_server(charlstm_binary(args.charlstm, "openai_client_check.py"), args.checkpoint, "--api-key", KEY)
    failures = []

    def check(what, ok, shown):
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {shown!r}")
        if not ok:
            failures.append(what)

    try:
        client = openai.OpenAI(base_url=base + "v1", api_key=KEY, max_retries=0)
        model = client.models.list().data[0].id
        check("models.list names the model", bool(model), model)
        asked = dict(model=model, prompt="ROMEO:", max_tokens=80, temperature=0.8, seed=42)
        first = client.completions.create(**asked)
        text = first.choices[0].text
        check("completions.create returns text", len(text) == 80 and first.choices[0].finish_reason == "length", text)
        again = client.completions.create(**asked).choices[0].text
        check("the same seed gives the same text", again == text, again)
        other = client.completions.create(**{**asked, "seed": 43}).choices[0].text
        check("another seed gives another text", other != text, other)
        pieces = [chunk.choices[0].text for chunk in client.completions.create(**asked, stream=True)]
        # One character per chunk while the client keeps up; the characters written meanwhile
        # in one chunk when it fell behind (this client parses each chunk slowly).
        check("stream=True streams the same text piece by piece", len(pieces) > 2 and "".join(pieces) == text,
              f"{len(pieces)} chunks, the longest {max(map(len, pieces))} characters")
        stopped = client.completions.create(**{**asked, "max_tokens": 400, "stop": ["."]}).choices[0]
        check("a stop string ends the text", stopped.finish_reason == "stop" and stopped.text.endswith(".")
              and "." not in stopped.text[:-1], stopped.text)
        try:
            client.completions.create(**{**asked, "temperature": -1})
            check("a bad temperature is refused", False, "accepted")
        except openai.BadRequestError as error:
            check("a bad temperature is refused", "temperature" in str(error), str(error))
        try:
            openai.OpenAI(base_url=base + "v1", api_key="wrong", max_retries=0).completions.create(**asked)
            check("a wrong key is refused", False, "accepted")
        except openai.AuthenticationError as error:
            check("a wrong key is refused", True, str(error))
    finally:
        server.terminate()
        status = server.wait(timeout=30)
    check("SIGTERM stops the server with status 0", status == 0, status)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
