#!/usr/bin/env bash
# The test command: install system packages, build everything (the tests spawn the built
# `spillway` binary as real child processes), run the Swift test suite, then build the
# Python wheel as users get it (native library with the Swift runtime linked in), install
# it into the pinned vLLM 0.33.0 environment (scripts/vllm-env.sh, created once outside the
# clone) and run the Python suite against vLLM's own classes.
# Then (full runs only) a package depending on Spillway by URL must build and run
# (scripts/consumer-check.sh, ~3 min; SPILLWAY_SKIP_CONSUMER_CHECK=1 skips it).
# Extra arguments go to `swift test` and skip the rest (e.g. --filter Region).
# Long soaks run only with SPILLWAY_SOAK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bash scripts/setup.sh
swift build
swift test "$@"
if [[ $# -eq 0 && "${SPILLWAY_SKIP_CONSUMER_CHECK:-0}" != 1 ]]; then
    bash scripts/consumer-check.sh
fi
# Full runs only: 15 s of libFuzzer per fuzz target (docs/RELIABILITY.md, "Fuzzing").
if [[ $# -eq 0 && "${SPILLWAY_SKIP_FUZZ:-0}" != 1 ]]; then
    bash scripts/fuzz.sh all --seconds 15
fi
if [ $# -gt 0 ]; then exit 0; fi

python=$(bash scripts/vllm-env.sh)
bash scripts/build-python.sh
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
"$python" -m pip wheel --quiet --no-deps --no-build-isolation -w "$wheels" ./python
rm -rf python/build
"$python" -m pip install --quiet --force-reinstall --no-deps "$wheels"/spillway-*.whl
# From outside the checkout, so the installed package (not python/spillway) is tested.
cd /tmp
"$python" -m pytest -q -p no:cacheprovider "$repo/python/tests"
