#!/usr/bin/env bash
# Creates (once) the pinned vLLM virtual environment the Python tests and the vLLM benchmark
# run against, in a cache directory outside the clone, and prints its python's path.
# Reused when present, so fresh clones and CI do not reinstall it (about 4 minutes and
# 9.5 GB the first time). Override the place with SPILLWAY_VLLM_VENV.
set -euo pipefail
VLLM_VERSION=0.33.0
venv=${SPILLWAY_VLLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/spillway/vllm-$VLLM_VERSION}
stamp=$venv/.spillway-ready
if [ ! -f "$stamp" ]; then
  echo "vllm-env: creating $venv (vllm==$VLLM_VERSION; first time takes minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet "vllm==$VLLM_VERSION" pytest >&2
  "$venv/bin/python" -c "import vllm.v1.kv_offload.tiering.manager" >/dev/null 2>&1 || {
    echo "vllm-env: vllm $VLLM_VERSION installed but its tiering module does not import" >&2
    exit 1
  }
  touch "$stamp"
fi
echo "$venv/bin/python"
