#!/usr/bin/env bash
# The test command: install system packages, build everything (the tests spawn the built
# `spillway` binary as real child processes), then run the whole test suite, then check that a
# package depending on Spillway by URL builds and runs (scripts/consumer-check.sh, ~3 min:
# only on a full run without arguments, as CI's; SPILLWAY_SKIP_CONSUMER_CHECK=1 skips it).
# Long soaks run only with SPILLWAY_SOAK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
swift test "$@"
if [[ $# -eq 0 && "${SPILLWAY_SKIP_CONSUMER_CHECK:-0}" != 1 ]]; then
    bash scripts/consumer-check.sh
fi
