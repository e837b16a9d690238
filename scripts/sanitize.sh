#!/usr/bin/env bash
# The test suite under Thread Sanitizer or Address Sanitizer (with LeakSanitizer):
#
#   scripts/sanitize.sh thread|address [FILTER...]
#
# Builds the package with --sanitize=KIND into its own folder (.build-tsan, .build-asan), then
# runs the tests matching the FILTERs (swift test --filter regular expressions; default: the
# subset below). The end-to-end tests run the charlstm built beside them, so every
# charlstm process they start (training, the REPL on a pseudo-terminal, mpirun's ranks) is
# sanitized too. Reports go to .sanitizer-reports/KIND/, one file per process that reported, not
# to stderr (tests that read charlstm's stderr then see only charlstm's own lines). Any report,
# from the test process or from any charlstm, fails the script, which prints them.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
shift || true
case $kind in
    thread) build=.build-tsan ;;
    address) build=.build-asan ;;
    *) echo "usage: scripts/sanitize.sh thread|address [FILTER...]" >&2; exit 2 ;;
esac

# The default subset: every unit-test target (so every module) except the two slowest suites,
# which run no threads (GradientCheckTests, the finite-difference checks, 74 s under Thread
# Sanitizer on a loaded machine; TokenCacheTests, 42 s), and the end-to-end tests of each
# threaded or signal-driven path of the real binary: training on two threads stopped by Ctrl-C,
# SIGTERM and SIGHUP (TrainRunTests); the REPL on a pseudo-terminal with Ctrl-C during a turn and
# at the prompt (ReplCommandTests); charlstm serve (ServeCommandTests: requests on Hummingbird's
# threads, the GenerationLoop's own thread stepping every text of a TextBatch, requests joining
# and leaving between steps, a client that disconnects, SIGTERM while a request runs); and under
# Thread Sanitizer data-parallel training under mpirun with a termination (DataParallelTests).
# Not under Address Sanitizer: Open MPI's own allocations, not freed at exit, are reported by
# LeakSanitizer and change mpirun's status. Under Address Sanitizer instead the parsers'
# hostile-input tests through the binary: 507 command lines, damaged checkpoints, bad corpora.
unit='^(KernelsTests|ConsoleTests|TokenizationTests|NetworkTests|CheckpointsTests|TrainingTests|SamplingTests|REPLTests|InspectionTests|CharLSTMTests)\.'
signals='^EndToEndTests\.(ReplCommandTests|TrainRunTests/testTrain_(ctrlC|sigterm|sighup))'
server='^EndToEndTests\.ServeCommandTests'
mpi='^EndToEndTests\.DataParallelTests/testDataParallel_(parametersAfterFiveSteps|termination)'
parsers='^EndToEndTests\.(CommandLineFuzzTests|TrainBadInputTests|CheckpointCommandTests)'
filters=("$@")
skips=()
if [[ ${#filters[@]} -eq 0 ]]; then
    skips=(--skip GradientCheckTests --skip TokenCacheTests)
    case $kind in
        thread) filters=("$unit" "$signals" "$server" "$mpi") ;;
        address) filters=("$unit" "$signals" "$server" "$parsers") ;;
    esac
fi

reports=$PWD/.sanitizer-reports/$kind
rm -rf "$reports"
mkdir -p "$reports"
# log_path: each process that reports writes report.PID there. LeakSanitizer's suppressions
# name the one false positive it has (Fuzz/lsan-suppressions.txt says why).
export TSAN_OPTIONS="log_path=$reports/report"
export ASAN_OPTIONS="log_path=$reports/report:detect_leaks=1:suppressions=$PWD/Fuzz/asan-suppressions.txt"
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt:print_suppressions=0"
filter_arguments=()
for filter in "${filters[@]}"; do filter_arguments+=(--filter "$filter"); done

started=$SECONDS
status=0
swift build --build-tests --build-path "$build" --sanitize="$kind"
built=$SECONDS
swift test --skip-build --build-path "$build" --sanitize="$kind" "${filter_arguments[@]}" "${skips[@]}" || status=$?
echo "sanitize.sh $kind: build $((built - started)) s, tests $((SECONDS - built)) s"

# A report file that holds only LeakSanitizer's list of suppressions used is not a report.
shopt -s nullglob
found=()
for report in "$reports"/report*; do
    grep -qE "ERROR|WARNING|SUMMARY" "$report" && found+=("$report")
done
if [[ ${#found[@]} -gt 0 ]]; then
    echo "sanitize.sh $kind: ${#found[@]} process(es) reported:" >&2
    cat "${found[@]}" >&2
    exit 1
fi
[[ $status -eq 0 ]] || { echo "sanitize.sh $kind: tests failed (status $status)" >&2; exit "$status"; }
echo "sanitize.sh $kind: 0 reports"
