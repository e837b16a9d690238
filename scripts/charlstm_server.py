"""Starts `charlstm serve` for the scripts that talk to it: on a free loopback port, waiting
for the line that says where it listens."""
import re
import subprocess
import sys


def start_server(binary, checkpoint, *options, env=None):
    """The running server process and its base address ("http://127.0.0.1:PORT/"); exits
    with what the server said when it does not start."""
    server = subprocess.Popen([binary, "serve", "--checkpoint", checkpoint, "--port", "0", *options],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = server.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        server.kill()
        sys.exit(f"charlstm serve did not start: {line}{server.stderr.read()}")
    print(line.strip())
    return server, match.group(0)
