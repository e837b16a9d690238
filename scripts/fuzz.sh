#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with libFuzzer and Address Sanitizer (Fuzz/, Package.swift).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the targets into .build-fuzz (in release, as charlstm ships), makes seeds from real
# files (checkpoints and token caches written by charlstm itself, the bundled checkpoint, the
# project's own text, real REPL lines, command lines and request bodies), then runs each TARGET
# (default: all) for SECONDS (default 60) on the corpus it keeps in .fuzz/corpus/TARGET, which
# grows from run to run. Each run appends a line to .fuzz/runs.csv (target, seconds,
# executions, edges, corpus files, CPU seconds, configuration) and the script prints the totals
# over all runs so far. A crash, a leak, a timeout or an allocation beyond the limit fails the
# script and leaves the input in .fuzz/findings/TARGET/ (replay it: .build-fuzz/release/TARGET
# FILE; the command line's target is .build-fuzz/release/charlstm). On a shared machine run it
# as `nice -n 19 scripts/fuzz.sh 3600`.
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=release
seconds=${1:-60}
shift || true
all_targets=(fuzz-checkpoint-reader fuzz-corpus-decoder fuzz-token-cache-reader fuzz-repl-command-parser fuzz-command-line
             fuzz-completion-request)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

# The command line's target is the charlstm binary itself, built to fuzz its own parsing.
product() { [[ $1 == fuzz-command-line ]] && echo charlstm || echo "$1"; }

# Release builds, as charlstm ships (in debug, swift-argument-parser checks every
# command's declarations on each parse, 15x slower), with internal names visible to the targets.
build_flags=(-c "$configuration" --build-path .build-fuzz --sanitize=address -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld
             -Xswiftc -enable-testing)
bin=.build-fuzz/$configuration
mkdir -p .fuzz
build_started=$SECONDS
for target in "${targets[@]}"; do
    CHARLSTM_FUZZ=1 swift build "${build_flags[@]}" --product "$(product "$target")" >.fuzz/build.log 2>&1 \
        || { grep -E "error" .fuzz/build.log >&2; echo "fuzz.sh: building $target failed (.fuzz/build.log)" >&2; exit 1; }
done
echo "fuzz.sh: built ${#targets[@]} targets ($configuration) in $((SECONDS - build_started)) s"
# The real charlstm, to write the seed checkpoints and token caches.
swift build --product charlstm >.fuzz/build.log 2>&1 \
    || { grep -E "error" .fuzz/build.log >&2; echo "fuzz.sh: building charlstm failed (.fuzz/build.log)" >&2; exit 1; }
charlstm="$(swift build --show-bin-path)/charlstm"

work=.fuzz
mkdir -p "$work"
seeds=$work/seeds
rm -rf "$seeds" && for target in "${all_targets[@]}"; do mkdir -p "$seeds/$target"; done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Text: the project's own documents and sources (ASCII, and · ≥ ␣ → and other multi-byte
# characters), plus a corpus with more than 256 distinct characters so token files are 2 bytes wide.
texts=(README.md corpora/README.md checkpoints/README.md Sources/REPL/ReplCommands.swift Sources/Tokenization/CorpusReader.swift)
[[ -f corpora/shakespeare.txt ]] && head -c 20000 corpora/shakespeare.txt >"$scratch/shakespeare.txt" && texts+=("$scratch/shakespeare.txt")
python3 - "$scratch/wide.txt" <<'EOF'
import sys
# 300 distinct CJK ideographs in a few "sentences": a corpus needing 2-byte tokens.
chars = [chr(0x4E00 + i) for i in range(300)]
open(sys.argv[1], "w", encoding="utf-8").write("。\n".join("".join(chars[i:i + 30]) for i in range(0, 300, 30)) + "\n")
EOF
texts+=("$scratch/wide.txt")

# Checkpoints and token caches charlstm writes: each cell, one and two layers, a fine-tuned one
# (run in the scratch folder, so its checkpoints/ is the scratch folder's). Small ones: a seed is
# mutated whole, so it must fit in the target's -max_len (a dozen characters, 2 units, the first
# 1,500 characters of each text).
python3 - "$scratch" "${texts[@]}" <<'EOF'
import sys, os
scratch, files = sys.argv[1], sys.argv[2:]
open(os.path.join(scratch, "train.txt"), "w").write("the cat sat on a mat.\n" * 30)
open(os.path.join(scratch, "extend.txt"), "w", encoding="utf-8").write("the cät sät on ä mät, 猫.\n" * 20)
for path in files:
    text = open(path, encoding="utf-8").read()[:1500]
    open(os.path.join(scratch, "text-" + os.path.basename(path)), "w", encoding="utf-8").write(text)
EOF
(
    cd "$scratch"
    for cell in lstm gru rnn; do
        for layers in 1 2; do
            "$charlstm" train train.txt --cell "$cell" --layers "$layers" --hidden 2 --embedding 2 --batch 2 --seq 8 \
                --steps 2 --eval-every 1 --run "$cell$layers" --cache-dir cache --seed 1 >/dev/null 2>&1
        done
    done
    "$charlstm" train extend.txt --init-from checkpoints/lstm1 --extend-vocab --batch 2 --seq 8 --steps 1 --eval-every 0 --run tuned \
        --cache-dir cache >/dev/null 2>&1
    # One token cache per text (eval builds it before it checks the characters against the model).
    for file in text-*; do "$charlstm" eval checkpoints/lstm1 "$file" --cache-dir cache >/dev/null 2>&1 || true; done
)
n=0
for file in "$scratch"/checkpoints/*/*.safetensors; do cp "$file" "$seeds/fuzz-checkpoint-reader/seed-$((n++)).safetensors"; done
cp "$scratch"/cache/*.tokens "$seeds/fuzz-token-cache-reader/"
# The same checkpoints without their (optional) checksum: a mutation of a checksummed file is
# refused at the checksum, and never reaches the checks behind it.
python3 - "$seeds/fuzz-checkpoint-reader" <<'EOF'
import sys, os, json, struct
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    data = open(os.path.join(folder, name), "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    del header["__metadata__"]["checksum"]
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    open(os.path.join(folder, "unchecked-" + name), "wb").write(struct.pack("<Q", len(text)) + text + data[8 + length:])
EOF
[[ $n -ge 7 && $(ls "$seeds/fuzz-token-cache-reader" | wc -l) -ge 3 ]] \
    || { echo "fuzz.sh: charlstm did not write the seed checkpoints and token caches" >&2; exit 1; }

# The decoder's inputs: pieces of the texts (the first byte picks the chunk size and policy).
python3 - "$seeds/fuzz-corpus-decoder" "${texts[@]}" <<'EOF'
import sys, os
out, files = sys.argv[1], sys.argv[2:]
n = 0
for path in files:
    data = open(path, "rb").read()
    for start in range(0, min(len(data), 4000), 200):
        open(os.path.join(out, f"seed-{n}"), "wb").write(bytes([n % 32]) + data[start:start + 200])
        n += 1
EOF

# REPL lines, as typed (every command, the forms its help shows).
python3 - "$seeds/fuzz-repl-command-parser" <<'EOF'
import sys, os
lines = [":temp 0.8", ":temperature 0", ":top-k 5", ":top-k off", ":top-p 0.9", ":top-p off", ":len 100", ":length 0",
         ":seed", ":seed 7", ":stop \\n\\n", ":stop \" a \"", ":stop END", ":stop off", ":stop", ":next", ":next 10",
         ":pick ␣", ":pick ⏎", ":pick 2", ":pick '2'", ":pick e", ":reset", ":load checkpoints/bundled", ":save out.txt",
         ":info", ":settings", ":help", ":h", ":?", ":quit", ":q", ":exit", "ROMEO:", "::colon first", "", "  two words "]
for n, line in enumerate(lines):
    open(os.path.join(sys.argv[1], f"seed-{n}"), "wb").write(line.encode())
EOF

# Command lines (NUL between arguments): the README's, and each option of each command with a
# value; a dictionary of every option name from charlstm's own help.
python3 - "$seeds/fuzz-command-line" "$work/command-line.dict" "$charlstm" <<'EOF'
import sys, os, re, subprocess
out, dictionary, charlstm = sys.argv[1:]
lines = [["train", "corpus.txt", "--run", "small", "--layers", "2", "--hidden", "128", "--steps", "300"],
         ["train", "corpus.txt", "--init-from", "checkpoints/bundled", "--run", "tuned", "--steps", "300", "--extend-vocab"],
         ["train", "--resume", "checkpoints/small"], ["generate", "--length", "200", "--temperature", "0.8", "--seed", "7"],
         ["generate", "--beam", "4", "--length", "100"], ["generate", "--count", "3", "--json", "--stop", "\\n\\n"],
         ["repl", "--checkpoint", "checkpoints/bundled", "--prompt", "ROMEO:"], ["eval", "checkpoints/bundled", "text.txt"],
         ["info", "--json", "checkpoints/bundled"], ["inspect", "checkpoints/bundled", "--text", "t.txt", "--html", "p.html"],
         ["help", "train"], ["--help"]]
options = set()
for command in ["train", "generate", "repl", "eval", "info", "inspect"]:
    help_text = subprocess.run([charlstm, "help", command], capture_output=True, text=True).stdout
    for option in sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))):
        options.add(option)
        lines.append([command, option, "1"])
n = 0
for n, line in enumerate(lines):
    open(os.path.join(out, f"seed-{n}"), "wb").write("\0".join(line).encode())
with open(dictionary, "w") as f:
    for word in sorted(options) + ["train", "generate", "repl", "eval", "info", "inspect", "help", "lstm", "gru", "rnn",
                                   "adam", "rmsprop", "sgd", "nan", "inf", "-1", "1e39"]:
        f.write('"%s"\n' % word)
EOF

# Completion request bodies: what OpenAI's client and the server's own page send, each field in
# its valid and edge forms; a dictionary of the field names and JSON's tokens.
python3 - "$seeds/fuzz-completion-request" "$work/completion-request.dict" <<'EOF'
import sys, os, json
out, dictionary = sys.argv[1:]
base = {"model": "tiny", "prompt": "the king", "max_tokens": 60, "temperature": 0.8, "seed": 11}
variants = [{}, {"stream": True}, {"n": 3}, {"prompt": ["ROMEO:", "JULIET:"], "n": 2}, {"stop": ["\n\n", " "]}, {"stop": "."},
            {"top_p": 0.9, "top_k": 5}, {"top_p": 1}, {"top_k": 0}, {"temperature": 0}, {"max_tokens": 0}, {"seed": 9223372036854775807},
            {"echo": False, "best_of": 1, "logprobs": 0}, {"echo": True}, {"suffix": "x"}, {"temperature": None, "stop": None},
            {"prompt": [1, 2]}, {"prompt": []}, {"temperature": -1}, {"max_tokens": 1e3}, {"user": "someone", "frequency_penalty": 0}]
bodies = [json.dumps({**base, **v}, ensure_ascii=False) for v in variants]
bodies += ['{"prompt": "\\u00e9\\ud83d\\ude00"}', '{}', '[]', '{"prompt": "a"', 'null', '{"temperature": 1e400}', '{"n": 1.5}']
for n, body in enumerate(bodies):
    open(os.path.join(out, f"seed-{n}"), "wb").write(body.encode())
with open(dictionary, "w") as f:
    for word in ["model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "n", "stop", "seed", "stream", "echo",
                 "logprobs", "best_of", "suffix"]:
        f.write('"\\"%s\\""\n' % word)
    for token in ["true", "false", "null", "1e308", "-0", "[", "]", "{", "}", ":", ",", "\\\\u0000"]:
        f.write('"%s"\n' % token)
EOF

# Per target: the longest input, and options. An allocation above 64 MB (more than any input
# needs: inputs are at most a few hundred KB) is a failure: a header's claim was believed.
options_for() {
    case $1 in
        fuzz-checkpoint-reader) echo "-max_len=4096" ;;
        fuzz-corpus-decoder) echo "-max_len=256" ;;
        fuzz-token-cache-reader) echo "-max_len=6144" ;;
        fuzz-completion-request) echo "-max_len=1024 -dict=$work/completion-request.dict" ;;
        fuzz-repl-command-parser) echo "-max_len=256" ;;
        # Help and refusals go to stdout and stderr: closed, libFuzzer keeps its own.
        fuzz-command-line) echo "-max_len=512 -close_fd_mask=3 -dict=$work/command-line.dict" ;;
    esac
}

# A trap is reported by libFuzzer and the sanitizer; the Swift runtime's own backtracer would read
# memory Address Sanitizer has poisoned, and report that instead.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS=suppressions=$PWD/Fuzz/lsan-suppressions.txt
# CPU seconds used by this script's finished children: on a shared machine a run gets a share of
# a core, so its executions per CPU second are the figure that does not depend on the load.
# Sets cpu_seconds (`times` here, into a file: a subshell has no finished children of its own).
measure_children_cpu() {
    times >"$scratch/times"
    cpu_seconds=$(tail -1 "$scratch/times" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] } print n }')
}
status=0
[[ -f $work/runs.csv ]] || echo "target,seconds,executions,edges,corpus_files,cpu_seconds,configuration" >"$work/runs.csv"
for target in "${targets[@]}"; do
    corpus=$work/corpus/$target findings=$work/findings/$target
    mkdir -p "$corpus" "$findings"
    binary=$bin/$(product "$target")
    log=$work/$target.log
    measure_children_cpu
    cpu_before=$cpu_seconds
    # shellcheck disable=SC2046
    if ! "$binary" $(options_for "$target") -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds/$target" >"$log" 2>&1; then
        status=1
        echo "fuzz.sh: $target FAILED; the input is in $findings/ and the report in $log:" >&2
        grep -E "ERROR|contract broken|Fatal error|SUMMARY|Test unit written" "$log" | head -8 >&2 || true
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    edges=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
    measure_children_cpu
    cpu=$(awk -v a="$cpu_before" -v b="$cpu_seconds" 'BEGIN { printf "%.1f", b - a }')
    echo "$target,$seconds,${executions:-0},${edges:-0},$(ls "$corpus" | wc -l),$cpu,$configuration" >>"$work/runs.csv"
    echo "fuzz.sh: $target: ${executions:-0} executions in $seconds s ($cpu CPU s), ${edges:-0} edges"
done
# The bundled checkpoint is too large to mutate at speed (6 MB); it is read once, whole.
if [[ " ${targets[*]} " == *" fuzz-checkpoint-reader "* ]]; then
    "$bin/fuzz-checkpoint-reader" -malloc_limit_mb=64 checkpoints/bundled/best.safetensors >"$work/bundled.log" 2>&1 \
        || { status=1; echo "fuzz.sh: the bundled checkpoint breaks the reader's contract (see $work/bundled.log)" >&2; }
fi

echo "fuzzing totals over every run in $work/runs.csv (executions, minutes, CPU minutes, edges in the last run, corpus files):"
python3 - "$work/runs.csv" "${targets[@]}" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for target in sys.argv[2:]:
    mine = [r for r in rows if r["target"] == target]
    cpu = sum(float(r.get("cpu_seconds") or 0) for r in mine)
    print(f"  {target:26} {len(mine):3} runs  {sum(int(r['executions']) for r in mine):>12,} executions  "
          f"{sum(int(r['seconds']) for r in mine) / 60:7.1f} min  {cpu / 60:7.1f} CPU min  {mine[-1]['edges']:>5} edges  "
          f"{mine[-1]['corpus_files']:>5} inputs")
EOF
exit $status
