#!/usr/bin/env bash
# The test suite under AddressSanitizer and/or ThreadSanitizer, each in its own build
# directory (.build-address, .build-thread) so the normal build is untouched. The tests
# spawn the built `spillway` binary, so the sanitized binary is built too and SPILLWAY_BIN
# points the tests at it. The allocation probe interposes malloc, which a sanitizer's own
# allocator forbids, so AllocationProbeTests are skipped.
#
# Usage: scripts/test-sanitizers.sh [address|thread|all] [extra `swift test` arguments]
#   scripts/test-sanitizers.sh address --filter DiskTier
# Results of the last runs: docs/RELIABILITY.md, "Sanitizers".
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
shift || true
case "$which" in
address | thread) sanitizers=("$which") ;;
all) sanitizers=(address thread) ;;
*)
    echo "usage: $0 [address|thread|all] [swift test arguments]" >&2
    exit 64
    ;;
esac
for sanitizer in "${sanitizers[@]}"; do
    path=".build-$sanitizer"
    echo "== $sanitizer sanitizer (build directory $path)" >&2
    swift build --build-tests --sanitize="$sanitizer" --build-path "$path"
    binary="$(swift build --sanitize="$sanitizer" --build-path "$path" --show-bin-path)/spillway"
    # halt_on_error: the first report fails the run instead of scrolling past.
    ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0}" \
        TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}" \
        SPILLWAY_BIN="$binary" \
        swift test --skip-build --sanitize="$sanitizer" --build-path "$path" \
        --skip AllocationProbe "$@"
done
