#!/usr/bin/env bash
# The test command: install system packages, build everything (the tests spawn the built
# `spillway` binary as real child processes), then run the whole test suite.
# Long soaks run only with SPILLWAY_SOAK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
swift test "$@"
