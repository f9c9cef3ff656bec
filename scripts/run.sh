#!/usr/bin/env bash
# The main job on the embedded defaults (Config/default.json): install system packages,
# build in release mode, and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product spillway
exec .build/release/spillway run --config Config/default.json "$@"
