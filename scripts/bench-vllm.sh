#!/usr/bin/env bash
# Spillway vs vLLM's fs tier through vLLM 0.33's own TieringOffloadingManager: the same trace
# replayed with each tier (alternating), plus a store phase, a promotion phase and fio on the
# same file system, at 256 KiB and 2 MiB chunks. See scripts/bench-vllm.py for what is
# measured. Arguments pass through to it, e.g.:
#   scripts/bench-vllm.sh --disk-dir /tmp/spillway-bench-vllm --rounds 2 --json bench-vllm.json
#   scripts/bench-vllm.sh --trace mooncake_trace.jsonl --requests 1000
# Needs: the vLLM venv (scripts/vllm-env.sh creates it), fio, and the spillway package
# installed in that venv.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(bash scripts/vllm-env.sh)
venv=$(dirname "$(dirname "$python")")

if ! command -v fio >/dev/null 2>&1; then
    echo "bench-vllm: fio is not installed (apt-get install fio, or dnf install fio)" >&2
    exit 1
fi
if ! "$python" -c "import spillway.vllm" >/dev/null 2>&1; then
    echo "bench-vllm: the spillway package is not installed in $venv; run:" >&2
    echo "  bash scripts/build-python.sh && $venv/bin/pip install ./python" >&2
    exit 1
fi
exec "$python" scripts/bench-vllm.py "$@"
