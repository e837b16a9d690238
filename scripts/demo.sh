#!/usr/bin/env bash
# The body of `make demo` (after the packages and the release build): corpus, model, sample.
# MINUTES: training budget; RUN: run name under checkpoints/; RESUME=1: train an existing run more.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${MINUTES:-3}
run=${RUN:-demo}
corpus=corpora/shakespeare.txt
charlstm=.build/release/charlstm
folder=checkpoints/$run
sample=$folder/sample.txt

say() { printf '\n== %s\n' "$*"; }

# Downloads and builds the corpus when it is not there yet (training needs it, sampling not).
fetch_corpus() {
    [[ -f $corpus ]] && return
    if ! python3 -m pip --version >/dev/null 2>&1; then
        scripts/ensure-debian-packages.sh python3 python3-pip
    fi
    say "fetching the default corpus"
    python3 corpora/fetch_shakespeare.py
}

if compgen -G "$folder/step-*.safetensors" >/dev/null; then
    if [[ -n ${RESUME:-} ]]; then
        fetch_corpus
        say "training $folder for $minutes more minutes (Ctrl-C stops and keeps the model)"
        "$charlstm" train --resume "$folder" --minutes "$minutes"
    else
        say "reusing the model in $folder (train it more with: make demo RESUME=1 MINUTES=$minutes)"
        "$charlstm" info "$folder"
    fi
else
    fetch_corpus
    say "training on $corpus for $minutes minutes, the model sized for both (Ctrl-C stops early and keeps the model)"
    "$charlstm" train "$corpus" --run "$run" --minutes "$minutes" --eval-every 1000
fi

say "writing a sample"
"$charlstm" generate --checkpoint "$folder" --length 2000 --temperature 0.8 --output "$sample"
say "the first lines of $sample"
head -n 20 "$sample"
cat <<EOF

== next
  more text:         $charlstm generate --checkpoint $folder --length 5000 --temperature 0.7
  the REPL:          $charlstm repl --checkpoint $folder
  loss on a text:    $charlstm eval $folder FILE
  what it holds:     $charlstm info $folder
EOF
