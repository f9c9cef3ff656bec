#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the trace parser, the configuration loader, the
# checkpoint decoder, the record decoder and the index journal decoder. Builds the package's
# SpillwayFuzz target with -sanitize=fuzzer,address into .build/fuzz (apart from the normal
# build), then runs each target for N seconds on its seed corpus Fuzz/Corpus/<target>/. Inputs the fuzzer adds go to a scratch
# directory, never into the repository. A crash, trap or sanitizer report fails the run;
# the crash input's path is printed (and its scratch directory kept).
#
# Usage: scripts/fuzz.sh [trace|config|checkpoint|record|journal|all] [--seconds N] [--write-seeds]
#   --seconds N     run each target N seconds (default 20)
#   --write-seeds   regenerate the binary seeds (checkpoint, record, journal) with the tier's own
#                   encoders into Fuzz/Corpus/, then stop
# Extra libFuzzer flags: SPILLWAY_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2").
# Results of the last runs: docs/RELIABILITY.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
all_targets=(trace config checkpoint record journal)
which=all
seconds=20
write_seeds=0
while [ $# -gt 0 ]; do
    case "$1" in
    trace | config | checkpoint | record | journal | all) which=$1 ;;
    --seconds)
        seconds=${2:?--seconds needs a value}
        shift
        ;;
    --write-seeds) write_seeds=1 ;;
    *)
        echo "usage: $0 [trace|config|checkpoint|record|journal|all] [--seconds N] [--write-seeds]" >&2
        exit 64
        ;;
    esac
    shift
done
if [ "$which" = all ]; then targets=("${all_targets[@]}"); else targets=("$which"); fi

# SwiftPM links an executable with `main` aliased to SpillwayFuzz_main, which
# Sources/CSpillwayFuzzDriver defines as a call to LLVMFuzzerRunDriver (libFuzzer's own main
# is not used). -parse-as-library: the harness has no top-level code.
echo "== building the fuzz harness (SpillwayFuzz, release, fuzzer+address, .build/fuzz)" >&2
fuzz_build=(-c release --scratch-path .build/fuzz --product SpillwayFuzz
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
swift build "${fuzz_build[@]}"
binary="$(swift build "${fuzz_build[@]}" --show-bin-path)/SpillwayFuzz"

if [ "$write_seeds" = 1 ]; then
    SPILLWAY_FUZZ_WRITE_SEEDS="$PWD/Fuzz/Corpus" "$binary"
    echo "seeds written under Fuzz/Corpus/checkpoint, record and journal" >&2
    exit 0
fi

# Swift's runtime keeps metadata caches for the process lifetime: leak checks would
# report them, so LeakSanitizer is off (memory errors and traps are what is hunted).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}"
failed=()
for target in "${targets[@]}"; do
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/spillway-fuzz-$target.XXXXXX")
    mkdir -p "$scratch/new" "$scratch/crashes"
    echo "== fuzzing $target for ${seconds}s (corpus Fuzz/Corpus/$target, scratch $scratch)" >&2
    status=0
    # -timeout: an input running over 10 s is a hang, reported like a crash.
    # shellcheck disable=SC2086
    SPILLWAY_FUZZ_TARGET=$target TMPDIR="$scratch" "$binary" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/crashes/" ${SPILLWAY_FUZZ_FLAGS:-} \
        "$scratch/new" "Fuzz/Corpus/$target" >"$scratch/log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$scratch/log" | tail -1 || true)
    found=$(find "$scratch/new" -type f | wc -l)
    echo "$target: ${runs:-?} runs, ${rate:-?} exec/s, ${coverage:-cov: ?}, $found new inputs" >&2
    crashes=$(find "$scratch/crashes" -type f)
    if [ "$status" -ne 0 ] || [ -n "$crashes" ]; then
        tail -n 40 "$scratch/log" >&2
        echo "FAILED: $target (exit $status); crash input(s): ${crashes:-none written}" >&2
        echo "  reproduce: SPILLWAY_FUZZ_TARGET=$target $binary ${crashes:-INPUT}" >&2
        echo "  full log: $scratch/log" >&2
        failed+=("$target")
    else
        rm -rf "$scratch"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: no crash in ${targets[*]} (${seconds}s each)" >&2
